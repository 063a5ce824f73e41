# Dateline behind Varnish 7 with varnish-modules' xkey (Debian: apt-get install varnish
# varnish-modules). Load with `varnishd -f /etc/varnish/dateline.vcl`; the nodes and who may purge
# live in dateline-site.vcl beside it (in vcl_path, /etc/varnish by default).
#
# What it does:
# - caches GET and HEAD by the node's Cache-Control: s-maxage for how long (RFC 9111 §5.2.2.10),
#   stale-while-revalidate for how long a stale page may be served while it is fetched again
#   (RFC 5861; Varnish turns it into beresp.grace itself);
# - never stores an answer that sets a cookie or says private, no-store or no-cache: the
#   newsroom, forms and anything per reader go to a node every time;
# - tags each stored page with the node's Surrogate-Key (xkey reads only its own `xkey` header),
#   and invalidates by tag: `PURGE` with `xkey-softpurge: tag …` (stale until refetched, the
#   default Dateline sends) or `xkey-purge: tag …` (gone now), from dateline_purgers only;
# - says X-Cache: HIT, MISS or PASS on every answer, beside Varnish's own Age.

vcl 4.1;

import directors;
import xkey;

include "dateline-site.vcl";

sub vcl_recv {
    set req.backend_hint = dateline_nodes.backend();

    if (req.method == "PURGE") {
        if (client.ip !~ dateline_purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-softpurge) {
            set req.http.x-purged = xkey.softpurge(req.http.xkey-softpurge);
        } else if (req.http.xkey-purge) {
            set req.http.x-purged = xkey.purge(req.http.xkey-purge);
        } else {
            return (synth(400, "PURGE needs an xkey-softpurge or xkey-purge header"));
        }
        return (synth(200, "Purged " + req.http.x-purged + " objects"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Pictures, narration and fingerprinted assets are the same for everyone: a reader's cookie
    # must not cost them the cache.
    if (req.url ~ "^/(static|media|audio)/") {
        unset req.http.Cookie;
    }
    # Anything else carrying a cookie (a signed-in reader, the newsroom) or credentials goes to
    # a node, as Varnish's built-in vcl_recv would do: those pages may be per person.
    if (req.http.Cookie || req.http.Authorization) {
        return (pass);
    }
    return (hash);
}

sub vcl_backend_response {
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(?i)(private|no-store|no-cache)"
        || beresp.http.Vary == "*") {
        # Remembered for two minutes as "go to a node", so such requests are not queued behind
        # one another waiting for a page that will never be stored.
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } else if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    return (deliver);
}
