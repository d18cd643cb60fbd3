"""ember-ui: a live web UI, a JSON API shaped like Spark's and Prometheus metrics for a
running ember job, served from a thread of the driver while its StreamingContext runs."""
