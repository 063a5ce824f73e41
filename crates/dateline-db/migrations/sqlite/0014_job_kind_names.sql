-- One naming rule for job kinds (`area.what_it_does`, dateline_core::JobKind): jobs queued
-- under the old names, and their deduplication keys, take the new ones. Finished jobs keep their
-- old names as history.
UPDATE jobs SET kind = 'articles.publish_due',
    dedup_key = REPLACE(dedup_key, 'scheduled_publish:', 'articles.publish_due:')
    WHERE kind = 'scheduled_publish' AND state IN ('queued', 'running');
UPDATE jobs SET kind = 'narration.narrate_article',
    dedup_key = REPLACE(dedup_key, 'narrate:', 'narration.narrate_article:')
    WHERE kind = 'narrate' AND state IN ('queued', 'running');
UPDATE jobs SET kind = 'comments.close_stale', dedup_key = 'comments.close_stale'
    WHERE kind = 'comments.auto_close' AND state IN ('queued', 'running');
UPDATE jobs SET kind = 'system.maintenance', dedup_key = 'system.maintenance'
    WHERE kind = 'maintenance' AND state IN ('queued', 'running');
