# This site's part of dateline.vcl: the Dateline nodes Varnish fetches from, and the addresses
# allowed to purge (the same nodes: their purge jobs send PURGE with xkey-softpurge). Edit the
# addresses; keep the names, dateline.vcl uses them.

backend node1 {
    .host = "127.0.0.1";
    .port = "8080";
    # A node that stops answering /healthz is left out until it answers again.
    .probe = {
        .url = "/healthz";
        .interval = 2s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
    }
}

# More nodes: copy the block above as node2, node3 … and add each below.

acl dateline_purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_init {
    new dateline_nodes = directors.round_robin();
    dateline_nodes.add_backend(node1);
}
