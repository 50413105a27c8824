"""Models registered by spike-cam (loaded through the spike_core.models entry point)."""
