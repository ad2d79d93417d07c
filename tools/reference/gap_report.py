"""Margins at every discrete decision of Mask R-CNN (and Keypoint R-CNN) inference, replayed from captured inputs.

A margin is the distance between a computed value and the point where the decision would flip (a cut
between sorted scores, a threshold, an integer boundary). Float32 differences between implementations
(summation order, ~1e-5 relative) cannot flip a decision whose margin is clearly larger.
"""
import math

import torch
from torchvision.ops import boxes as box_ops
from torchvision.models.detection.roi_heads import expand_boxes


def _iou(b):
    return box_ops.box_iou(b.double(), b.double())


def nms_margins(boxes, scores, groups, thresh):
    """Greedy NMS per group (as torchvision's batched_nms) with its margins.

    iou: min over boxes j of |max IoU(j, kept box before j) - thresh|;
    order: min score gap s_i - s_j over pairs with i kept, j after i and IoU(i, j) > thresh
    (swapping such a pair would change which box survives). Returns (kept indices sorted by score, margins).
    """
    iou_margin, order_gap, kept_all = math.inf, math.inf, []
    for g in torch.unique(groups):
        idx = torch.where(groups == g)[0]
        s = scores[idx]
        order = torch.sort(s, descending=True, stable=True)[1]
        idx, s = idx[order], s[order]
        iou = _iou(boxes[idx])
        n = len(idx)
        suppressed = torch.zeros(n, dtype=torch.bool)
        kept = []
        for i in range(n):
            if suppressed[i]:
                continue
            kept.append(i)
            row = iou[i]
            later = torch.arange(n) > i
            suppressed |= later & (row > thresh)
            hit = later & (row > thresh)
            if hit.any():
                order_gap = min(order_gap, float((s[i] - s[hit]).min()))
        k = torch.tensor(kept)
        # for every box, the largest IoU with a kept box that precedes it
        m = iou[k]  # [K, n]
        before = k[:, None] < torch.arange(n)[None, :]
        m = torch.where(before, m, torch.full_like(m, -1.0)).max(0)[0]
        valid = m >= 0
        if valid.any():
            iou_margin = min(iou_margin, float((m[valid] - thresh).abs().min()))
        kept_all.append(idx[k])
    kept_all = torch.cat(kept_all) if kept_all else torch.zeros(0, dtype=torch.int64)
    # cross-check against torchvision's own batched_nms (whose output order we keep)
    theirs = box_ops.batched_nms(boxes, scores, groups, thresh)
    assert set(theirs.tolist()) == set(kept_all.tolist()), "NMS replay differs from torchvision"
    ks = scores[theirs]
    ties = int((ks[1:] == ks[:-1]).sum())
    return theirs, {"iou": iou_margin, "order": order_gap, "kept": len(theirs), "score_ties_among_kept": ties}


def _cut_gap(sorted_desc, k):
    return float(sorted_desc[k - 1] - sorted_desc[k]) if len(sorted_desc) > k else None


def rpn_report(rpn, captured):
    proposals, objectness, image_shapes, num_anchors = captured["rpn.filter.in"]
    ob = objectness.detach().reshape(-1)
    props = proposals.reshape(-1, 4)
    pre_n, post_n = rpn.pre_nms_top_n(), rpn.post_nms_top_n()
    report, sel, lv, off = {"topk_cut": []}, [], [], 0
    for level, n in enumerate(num_anchors):
        o = ob[off:off + n]
        srt = torch.sort(o, descending=True)[0]
        gap = _cut_gap(srt, pre_n)
        report["topk_cut"].append(None if gap is None else {"gap": gap, "logit": float(srt[pre_n - 1])})
        top = o.topk(min(pre_n, n))[1] + off
        sel.append(top)
        lv.append(torch.full((len(top),), level))
        off += n
    sel, lv = torch.cat(sel), torch.cat(lv)
    boxes = box_ops.clip_boxes_to_image(props[sel], image_shapes[0])
    scores = torch.sigmoid(ob[sel])
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = torch.minimum(ws, hs)
    keep = side >= rpn.min_size
    report["small_boxes"] = {"removed": int((~keep).sum()), "min_kept_side": float(side[keep].min()),
                             "max_removed_side": float(side[~keep].max()) if (~keep).any() else None}
    boxes, scores, lv = boxes[keep], scores[keep], lv[keep]
    kept, margins = nms_margins(boxes, scores, lv, rpn.nms_thresh)
    report["nms"] = margins
    report["post_nms_cut"] = _cut_gap(scores[kept], post_n)
    mine = boxes[kept[:post_n]]
    theirs = captured["rpn.filter.out"][0][0]
    report["replay_matches"] = bool(mine.shape == theirs.shape and torch.equal(mine, theirs))
    return report


def box_report(roi_heads, captured):
    class_logits, box_regression, proposals, image_shapes = captured["roi_heads.postprocess.in"]
    boxes = roi_heads.box_coder.decode(box_regression, proposals)
    scores = torch.softmax(class_logits, -1)
    boxes = box_ops.clip_boxes_to_image(boxes, image_shapes[0])
    labels = torch.arange(scores.shape[1]).view(1, -1).expand_as(scores)
    boxes, scores, labels = boxes[:, 1:].reshape(-1, 4), scores[:, 1:].reshape(-1), labels[:, 1:].reshape(-1)
    t = roi_heads.score_thresh
    report = {"score_thresh": {"min_abs_gap": float((scores - t).abs().min()),
                               "within_1e-5_relative": int(((scores - t).abs() < 1e-5 * t).sum())}}
    ind = torch.where(scores > t)[0]
    boxes, scores, labels = boxes[ind], scores[ind], labels[ind]
    side = torch.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    report["candidates"] = len(ind)
    report["small_boxes"] = {"min_side": float(side.min()) if len(side) else None, "limit": 1e-2}
    keep = side >= 1e-2
    boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    if boxes.numel() <= 4000:
        # torchvision's batched_nms on CPU: for <= 1000 boxes it offsets each class's boxes by
        # label * (max coordinate + 1) and runs one NMS on the offset float32 boxes ("coordinate trick")
        offsets = labels.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
        kept, margins = nms_margins(boxes + offsets[:, None], scores, torch.zeros_like(labels), roi_heads.nms_thresh)
        margins["variant"] = "coordinate_trick"
    else:
        kept, margins = nms_margins(boxes, scores, labels, roi_heads.nms_thresh)
        margins["variant"] = "per_class"
    report["nms"] = margins
    report["after_nms"] = len(kept)
    report["top_cut"] = _cut_gap(scores[kept], roi_heads.detections_per_img)
    mine = boxes[kept[:roi_heads.detections_per_img]]
    theirs = captured["roi_heads.postprocess.out"][0][0]
    report["replay_matches"] = bool(mine.shape == theirs.shape and torch.equal(mine, theirs))
    return report


def level_margin(boxes):
    """Min distance of LevelMapper's 4 + log2(sqrt(area)/224) + 1e-6 to the level boundaries 3, 4, 5."""
    if len(boxes) == 0:
        return None
    s = torch.sqrt(box_ops.box_area(boxes))
    x = 4 + torch.log2(s / 224) + torch.tensor(1e-6, dtype=s.dtype)
    return float(torch.stack([(x - b).abs() for b in (3.0, 4.0, 5.0)]).min())


def mask_report(output):
    masks = output["masks"][:, 0]
    report = {}
    if len(masks):
        d = (masks - 0.5).abs()
        report["min_abs_gap_to_0.5"] = float(d.min())
        report["pixels_within_1e-4"] = int((d < 1e-4).sum())
        expanded = expand_boxes(output["boxes"], 30.0 / 28.0)
        frac = expanded - torch.floor(expanded)
        report["paste_box_int_cast_margin"] = float(torch.minimum(frac, 1 - frac).min())
    return report


def resize_margin(original_size, scale):
    """Distance of size * scale to the integer floor() would cross (recompute_scale_factor=True)."""
    return min(abs(s * scale - round(s * scale)) for s in original_size)


def full_report(model, output, captured, original_size, scale):
    dets_resized = captured["roi_heads.postprocess.out"][0][0]
    return {
        "resize": {"scale": scale, "margin": resize_margin(original_size, scale)},
        "rpn": rpn_report(model.rpn, captured),
        "roi_level_margin": {"proposals": level_margin(captured["rpn.filter.out"][0][0]),
                             "detections": level_margin(dets_resized)},
        "box": box_report(model.roi_heads, captured),
        **({"mask": mask_report(output)} if "masks" in output else {}),
    }
