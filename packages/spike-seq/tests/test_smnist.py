"""S-MNIST / PS-MNIST builders: spec checks 15-16."""

from __future__ import annotations

import pytest
import torch

from spike_seq import ps_mnist_permutation, sequential_mnist


def test_smnist_raster_order() -> None:
    imgs = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8)
    seq = sequential_mnist(imgs)
    assert seq.shape == (784, 3, 1)
    for n in (0, 27, 28, 500, 783):
        assert seq[n, 1, 0] == imgs[1, n // 28, n % 28].float() / 255
    assert torch.equal(sequential_mnist(imgs.view(3, 1, 28, 28)), seq)


def test_psmnist_permutation() -> None:
    pi = ps_mnist_permutation(0)
    assert torch.equal(torch.sort(pi).values, torch.arange(784))
    assert torch.equal(pi, ps_mnist_permutation(0))
    assert not torch.equal(pi, ps_mnist_permutation(1))
    imgs = torch.rand(4, 784)
    s = sequential_mnist(imgs)
    p = sequential_mnist(imgs, permutation=pi)
    assert torch.equal(p[:, 2, 0], imgs[2, pi])
    inverse = torch.argsort(pi)
    assert torch.equal(p[inverse], s)  # undoing the permutation recovers S-MNIST


def test_errors() -> None:
    with pytest.raises(ValueError, match="images"):
        sequential_mnist(torch.zeros(2, 27, 28))
    with pytest.raises(ValueError, match="bijection"):
        sequential_mnist(torch.zeros(2, 784), permutation=torch.zeros(784, dtype=torch.long))
