import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    # Tiny sparse kernels gain nothing from threads; on a shared 2-core runner extra threads
    # spin against other test workers.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
