"""Renderers: turn results (problems, plans, apply outcomes) into text for a stream."""
