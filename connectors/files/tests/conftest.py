"""Tests of the ember-files distribution, run with the core and this plugin installed."""
