"""LLM classification: providers (local, OpenAI-compatible, Cortex), jobs and checks."""
