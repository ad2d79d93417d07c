"""The exact architectures of torchvision's official `maskrcnn_resnet50_fpn_coco` and
`keypointrcnn_resnet50_fpn_coco` (COCO_V1, `keypointrcnn_resnet50_fpn_coco-fc266e95.pth`) checkpoints.

torchvision builds the pretrained model with FrozenBatchNorm2d (not BatchNorm2d) and then sets every
FrozenBatchNorm2d eps to 0 (`overwrite_eps(model, 0.0)`); `maskrcnn_resnet50_fpn(weights=None)` would give
plain BatchNorm2d with eps 1e-5 instead, so we build the model the way the pretrained path does.
"""
import torch
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN, KeypointRCNN, MaskRCNN, fasterrcnn_resnet50_fpn_v2, maskrcnn_resnet50_fpn_v2
from torchvision.models.detection._utils import overwrite_eps
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops import misc as misc_nn_ops


def build_model() -> torch.nn.Module:
    backbone = resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(backbone, 3)
    model = MaskRCNN(backbone, num_classes=91)
    overwrite_eps(model, 0.0)
    model.eval()
    return model


def build_keypoint_model() -> torch.nn.Module:
    """`keypointrcnn_resnet50_fpn(weights=COCO_V1)` without the download: FrozenBatchNorm2d backbone, 3
    trainable layers (irrelevant in eval), `KeypointRCNN(num_classes=2, num_keypoints=17)`, eps 0 (torchvision
    overwrites eps only for COCO_V1, the file this mirrors). 313 state-dict entries."""
    backbone = resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(backbone, 3)
    model = KeypointRCNN(backbone, num_classes=2, num_keypoints=17)
    overwrite_eps(model, 0.0)
    model.eval()
    return model


def build_faster_model() -> torch.nn.Module:
    """`fasterrcnn_resnet50_fpn(weights=COCO_V1)` without the download (`fasterrcnn_resnet50_fpn_coco-258fb6c6.pth`):
    the Mask R-CNN above without its mask branch — FrozenBatchNorm2d, eps 0, `FasterRCNN(num_classes=91)`.
    295 state-dict entries."""
    backbone = resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(backbone, 3)
    model = FasterRCNN(backbone, num_classes=91)
    overwrite_eps(model, 0.0)
    model.eval()
    return model


def build_v2_model(masks: bool = True) -> torch.nn.Module:
    """torchvision's own `maskrcnn_resnet50_fpn_v2` / `fasterrcnn_resnet50_fpn_v2` builders with no weights: the
    layout of `maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth` / `fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth`.
    ResNet-50 and FPN with BatchNorm2d (eval: running statistics, eps 1e-5; the pretrained path builds them the
    same way), RPNHead(conv_depth=2), FastRCNNConvFCHead (4 × conv3×3+BN+ReLU, flatten, FC 1024 + ReLU),
    MaskRCNNHeads with BatchNorm2d."""
    builder = maskrcnn_resnet50_fpn_v2 if masks else fasterrcnn_resnet50_fpn_v2
    model = builder(weights=None, weights_backbone=None, num_classes=91)
    model.eval()
    return model


def build(kind: str) -> torch.nn.Module:
    """The model of a torchvision builder name (maskrcnn_resnet50_fpn, …_v2, fasterrcnn_resnet50_fpn, …_v2)."""
    return {
        "maskrcnn_resnet50_fpn": build_model,
        "maskrcnn_resnet50_fpn_v2": lambda: build_v2_model(True),
        "fasterrcnn_resnet50_fpn": build_faster_model,
        "fasterrcnn_resnet50_fpn_v2": lambda: build_v2_model(False),
        "keypointrcnn_resnet50_fpn": build_keypoint_model,
    }[kind]()


def layout(model: torch.nn.Module):
    """(name, shape) of every float state-dict entry, in state-dict order (BatchNorm2d's int64
    `num_batches_tracked` counters, unused at inference, are left out)."""
    return [(name, list(t.shape)) for name, t in model.state_dict().items() if t.is_floating_point()]


def checkpoint_name(name: str) -> str:
    """The name the official 2019 checkpoint file uses for a torchvision 0.14 state-dict entry.

    torchvision renamed four modules after the COCO checkpoints were published and renames the old keys at
    load time (`_load_from_state_dict` of FeaturePyramidNetwork, RPNHead and MaskRCNNHeads, version < 2).
    The same function serves the Keypoint R-CNN file: its FPN and RPN head keys are renamed the same way, while
    KeypointRCNNHeads (`roi_heads.keypoint_head.{0,2,...,14}`, an nn.Sequential from the start) and
    KeypointRCNNPredictor (`roi_heads.keypoint_predictor.kps_score_lowres`) have no `_load_from_state_dict`
    and keep their names.
    """
    import re
    for pattern, repl in (
        (r"^backbone\.fpn\.(inner_blocks|layer_blocks)\.(\d+)\.0\.", r"backbone.fpn.\1.\2."),
        (r"^rpn\.head\.conv\.0\.0\.", "rpn.head.conv."),
    ):
        name = re.sub(pattern, repl, name)
    m = re.match(r"^roi_heads\.mask_head\.(\d+)\.0\.(.*)$", name)
    if m:
        name = f"roi_heads.mask_head.mask_fcn{int(m.group(1)) + 1}.{m.group(2)}"
    return name
