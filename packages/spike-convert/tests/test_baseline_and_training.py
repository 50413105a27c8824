import pytest
import torch
from torch import nn

from spike_convert import (
    RNNClassifier,
    accuracy,
    convert_cnn,
    convert_rnn,
    fit_classifier,
    quantize_cnn,
    quantize_rnn,
    rate_convert,
    sequential_digits,
)
from spike_core import IF


def test_rate_coded_baseline_converges_with_T() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3))
    x = torch.rand(64, 6)
    ref = net(x).detach()
    snn = rate_convert(net, x, percentile=None)
    assert sum(isinstance(m, IF) for m in snn.modules()) == 2
    errs = [float((snn.run(x, T) - ref).abs().mean()) for T in (2, 16, 128)]
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 0.1 * errs[0]
    # the exact conversion needs no long window: compare at its own step count
    q = quantize_cnn(net, levels=8, calibration=x)
    res = convert_cnn(q).run(x)
    assert torch.allclose(res.output, q(x), atol=1e-5)


def test_rate_baseline_errors() -> None:
    net = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid())
    with pytest.raises(ValueError, match="Sigmoid"):
        rate_convert(net, torch.rand(4, 3))
    with pytest.raises(ValueError, match="percentile"):
        rate_convert(nn.Sequential(nn.Linear(3, 3)), torch.rand(4, 3), percentile=0.0)


def test_fit_classifier_reduces_loss_and_checks() -> None:
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    hist = fit_classifier(net, x, y, epochs=15, lr=1e-2, batch_size=16)
    assert hist[-1] < hist[0]
    assert accuracy(net.eval(), x, y) > 80.0
    with pytest.raises(ValueError, match="samples"):
        fit_classifier(net, x, y[:3])


@pytest.mark.slow
@pytest.mark.parametrize("permuted", [False, True])
def test_trained_qrnn_on_sequential_digits_is_exact(permuted: bool) -> None:
    pytest.importorskip("sklearn")
    torch.manual_seed(0)
    x, y = sequential_digits("train", permuted=permuted)
    x, y = x[:, :128], y[:128]
    m = RNNClassifier(input_size=1, hidden_size=12, num_outputs=10)
    fit_classifier(m, x, y, epochs=2, lr=3e-3, batch_dim=1, batch_size=32, clip_grad_norm=1.0)
    q = quantize_rnn(m.eval(), levels=6, calibration=x[:, :64])
    fit_classifier(q, x, y, epochs=1, lr=1e-3, batch_dim=1, batch_size=32, clip_grad_norm=1.0)
    q = q.eval().double()
    xt, _ = sequential_digits("test", permuted=permuted)
    xt = xt[:, :16].double()
    res = convert_rnn(q).run(xt)
    assert res.quiet
    assert torch.equal(res.hidden[0], q.hidden_states(xt)[0])
    assert (res.output - q(xt)).abs().max().item() <= 1e-12


def test_trained_qcnn_on_digits_is_exact() -> None:
    pytest.importorskip("sklearn")
    from spike_convert import digits_images

    torch.manual_seed(0)
    images, labels = digits_images()
    x, y = images[:256].unsqueeze(1), labels[:256]
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip
    fit_classifier(net, x, y, epochs=2, lr=1e-2)
    q = quantize_cnn(net.eval(), levels=8, calibration=x[:64])
    fit_classifier(q, x, y, epochs=1, lr=1e-3)
    q = q.eval().double()
    res = convert_cnn(q).run(x[:64].double())
    assert res.quiet
    assert (res.output - q(x[:64].double())).abs().max().item() <= 1e-12
