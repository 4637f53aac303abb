"""Reliability harnesses: hostile inputs and crash consistency."""
