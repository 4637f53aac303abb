"""Retrieval quality on BEIR-layout collections (`spyglass eval`)."""
