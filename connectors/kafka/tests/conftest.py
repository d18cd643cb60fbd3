"""Tests of the ember-kafka distribution, run with the core and this plugin installed."""
