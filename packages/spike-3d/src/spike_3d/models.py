"""Models registered by spike-3d (loaded through the spike_core.models entry point)."""
