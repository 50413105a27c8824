"""Models registered by spike-quant (loaded through the spike_core.models entry point)."""
