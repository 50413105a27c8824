"""Models registered by spike-seq (loaded through the spike_core.models entry point)."""
