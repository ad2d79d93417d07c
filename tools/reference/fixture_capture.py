"""Runs the reference Mask R-CNN or Keypoint R-CNN on one image and captures every tensor the parity fixtures
need.

Forward hooks record module outputs; the two post-processing methods (`rpn.filter_proposals`,
`roi_heads.postprocess_detections`) are wrapped on the instance so their inputs can be replayed by the
score-gap analysis (gap_report.py).
"""
import torch


class Capture:
    """Installs hooks on a model; `run(image)` returns (torchvision's output dict, captured tensors)."""

    def __init__(self, model):
        self.model = model
        self.t = {}
        m = model
        m.transform.register_forward_hook(self._transform)
        m.backbone.body.register_forward_hook(self._dict("body"))
        m.backbone.fpn.register_forward_hook(self._dict("fpn"))
        m.rpn.head.register_forward_hook(self._rpn_head)
        m.roi_heads.box_roi_pool.register_forward_hook(self._out("roi_heads.box_roi_pool"))
        m.roi_heads.box_predictor.register_forward_hook(self._box_predictor)
        if m.roi_heads.has_mask():
            m.roi_heads.mask_roi_pool.register_forward_hook(self._out("roi_heads.mask_roi_pool"))
            m.roi_heads.mask_predictor.register_forward_hook(self._out("roi_heads.mask_logits"))
        if m.roi_heads.has_keypoint():
            m.roi_heads.keypoint_roi_pool.register_forward_hook(self._out("roi_heads.keypoint_roi_pool"))
            m.roi_heads.keypoint_head.register_forward_hook(self._out("roi_heads.keypoint_head"))
            m.roi_heads.keypoint_predictor.register_forward_hook(self._out("roi_heads.keypoint_logits"))
        self._wrap(m.rpn, "filter_proposals", "rpn.filter")
        self._wrap(m.roi_heads, "postprocess_detections", "roi_heads.postprocess")

    def run(self, image):
        self.t = {}
        with torch.no_grad():
            output = self.model([image])[0]
        return output, self.t

    def _transform(self, module, inputs, output):
        image_list, _ = output
        self.t["transform.images"] = image_list.tensors
        self.t["image_sizes"] = image_list.image_sizes

    def _dict(self, prefix):
        def hook(module, inputs, output):
            for key, value in output.items():
                self.t[f"{prefix}.{key}"] = value
        return hook

    def _out(self, key):
        def hook(module, inputs, output):
            self.t[key] = output
        return hook

    def _rpn_head(self, module, inputs, output):
        logits, deltas = output
        for level, (a, b) in enumerate(zip(logits, deltas)):
            self.t[f"rpn.objectness.{level}"] = a
            self.t[f"rpn.pred_bbox_deltas.{level}"] = b

    def _box_predictor(self, module, inputs, output):
        self.t["roi_heads.class_logits"], self.t["roi_heads.box_regression"] = output

    def _wrap(self, owner, method, key):
        original = getattr(owner, method)

        def wrapped(*args):
            result = original(*args)
            self.t[key + ".in"] = args
            self.t[key + ".out"] = result
            return result
        setattr(owner, method, wrapped)
