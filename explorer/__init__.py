"""Kubernetes Architecture Explorer: live diagrams of a cluster's architecture."""
