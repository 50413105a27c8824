import pytest
import torch

from spike_3d import (
    E3DSNN,
    E3DSNNConfig,
    SyntheticShapes,
    collate_point_clouds,
    evaluate_classifier,
    train_classifier,
)


def test_collate_normalises_and_voxelises():
    ds = SyntheticShapes(3, num_points=100)
    x, y = collate_point_clouds(
        [ds[i] for i in range(3)], grid_size=0.2, augment=True, time_steps=2
    )
    assert y.tolist() == [0, 1, 2]
    assert x.batch_size == 3
    assert x.time_steps == 2
    assert x.num_channels == 6
    assert x.coords[:, 1:].min() == 0


@pytest.mark.slow
def test_short_training_beats_chance_on_two_shapes():
    torch.manual_seed(0)
    cfg = E3DSNNConfig(embed_channels=8, channels=(8, 8, 16, 16), num_classes=2, bn_momentum=0.1)
    model = E3DSNN(config=cfg)
    train = SyntheticShapes(24, num_points=96, classes=("sphere", "cube"), seed=0)
    test = SyntheticShapes(16, num_points=96, classes=("sphere", "cube"), seed=1)
    seen = []
    res = train_classifier(
        model, train, test, epochs=5, batch_size=4, lr=0.05, grid_size=0.2, callback=seen.append
    )
    assert len(res.history) == len(seen) == 5
    assert all(0.0 <= h["train_accuracy"] <= 1.0 for h in res.history)
    assert res.test_accuracy >= 0.75  # chance is 0.5
    assert evaluate_classifier(model, test, grid_size=0.2) == res.test_accuracy


def test_train_arguments_are_checked():
    model = E3DSNN(config=E3DSNNConfig(embed_channels=4, channels=(4, 4, 4, 4), num_classes=2))
    data = SyntheticShapes(2, num_points=16, classes=("sphere", "cube"))
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(model, data, epochs=0)
    with pytest.raises(ValueError, match="optimizer"):
        train_classifier(model, data, optimizer="lbfgs")
