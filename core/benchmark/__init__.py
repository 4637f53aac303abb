"""`spyglass bench`: speed, memory and size, measured beside the alternatives in the same run."""
