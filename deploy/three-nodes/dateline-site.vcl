# /etc/varnish/dateline-site.vcl on the Varnish machine (10.0.0.10) for three web nodes, beside
# deploy/varnish/dateline.vcl: where to fetch pages, and who may purge (the nodes send the
# purges). Start Varnish with `varnishd -a :80 -f /etc/varnish/dateline.vcl -s malloc,1g`, or
# point Debian's varnish.service at dateline.vcl.

probe dateline_health {
    .url = "/healthz";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
}

backend node1 { .host = "10.0.0.11"; .port = "8080"; .probe = dateline_health; }
backend node2 { .host = "10.0.0.12"; .port = "8080"; .probe = dateline_health; }
backend node3 { .host = "10.0.0.13"; .port = "8080"; .probe = dateline_health; }

acl dateline_purgers {
    "10.0.0.11";
    "10.0.0.12";
    "10.0.0.13";
    "127.0.0.1";
}

sub vcl_init {
    new dateline_nodes = directors.round_robin();
    dateline_nodes.add_backend(node1);
    dateline_nodes.add_backend(node2);
    dateline_nodes.add_backend(node3);
}
