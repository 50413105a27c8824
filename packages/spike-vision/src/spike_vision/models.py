"""Models registered by spike-vision (loaded through the spike_core.models entry point)."""
