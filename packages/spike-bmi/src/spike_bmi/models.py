"""Models registered by spike-bmi (loaded through the spike_core.models entry point)."""
