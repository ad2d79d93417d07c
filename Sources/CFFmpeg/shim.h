// The one place where FFmpeg's C macros and tuple-typed fields are turned into Swift-callable functions.
#ifndef MRCNN_CFFMPEG_SHIM_H
#define MRCNN_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/mathematics.h>
#include <libavutil/display.h>
#include <math.h>

static inline int mrcnn_averror(int e) { return AVERROR(e); }
static inline int mrcnn_averror_eof(void) { return AVERROR_EOF; }
static inline int mrcnn_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t mrcnn_nopts(void) { return AV_NOPTS_VALUE; }
static inline AVRational mrcnn_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline uint8_t *mrcnn_frame_data(AVFrame *f, int plane) { return f->data[plane]; }
static inline int mrcnn_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }

#include <libavutil/pixdesc.h>

// ---- VideoIO helpers: tuple-typed fields (AVFrame.data/linesize) and macro flags, wrapped for Swift. ----
static inline int mrcnn_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int mrcnn_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int mrcnn_codec_flag_global_header(void) { return AV_CODEC_FLAG_GLOBAL_HEADER; }
static inline int64_t mrcnn_frame_pkt_duration(const AVFrame *f) { return f->pkt_duration; }

/// Converts a whole decoded frame into one packed plane (e.g. RGB24) at `dst` with row stride `dstStride`.
static inline int mrcnn_sws_to_packed(struct SwsContext *c, const AVFrame *src, uint8_t *dst, int dstStride) {
    uint8_t *d[4] = { dst, NULL, NULL, NULL };
    int ds[4] = { dstStride, 0, 0, 0 };
    return sws_scale(c, (const uint8_t *const *)src->data, src->linesize, 0, src->height, d, ds);
}

/// Converts one packed plane (e.g. RGB24) of `srcHeight` rows into the planes of `dst`.
static inline int mrcnn_sws_from_packed(struct SwsContext *c, const uint8_t *src, int srcStride, int srcHeight, AVFrame *dst) {
    const uint8_t *s[4] = { src, NULL, NULL, NULL };
    int ss[4] = { srcStride, 0, 0, 0 };
    return sws_scale(c, s, ss, 0, srcHeight, dst->data, dst->linesize);
}

/// Sets the YUV matrix (an AVColorSpace value) and, when `fullRange` is 0 or 1, the range of a context's source.
static inline int mrcnn_sws_set_source_colorspace(struct SwsContext *c, int colorspace, int fullRange) {
    int *inv, *table, srcRange, dstRange, brightness, contrast, saturation;
    if (sws_getColorspaceDetails(c, &inv, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) < 0) return -1;
    if (fullRange == 0 || fullRange == 1) srcRange = fullRange;
    return sws_setColorspaceDetails(c, sws_getCoefficients(colorspace), srcRange, table, dstRange, brightness, contrast, saturation);
}

/// Sets the YUV matrix (an AVColorSpace value) and range of a context's destination (RGB -> YUV conversions).
static inline int mrcnn_sws_set_destination_colorspace(struct SwsContext *c, int colorspace, int fullRange) {
    int *inv, *table, srcRange, dstRange, brightness, contrast, saturation;
    if (sws_getColorspaceDetails(c, &inv, &srcRange, &table, &dstRange, &brightness, &contrast, &saturation) < 0) return -1;
    return sws_setColorspaceDetails(c, inv, srcRange, sws_getCoefficients(colorspace), fullRange, brightness, contrast, saturation);
}

/// 1 when the pixel format stores YUV (not RGB, not gray, not a hardware format), else 0.
static inline int mrcnn_pix_fmt_is_yuv(int fmt) {
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)fmt);
    if (!d) return 0;
    if (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL)) return 0;
    return d->nb_components >= 3;
}

/// The clockwise rotation (0, 90, 180 or 270 degrees) a player applies to show a stream upright, from its display
/// matrix side data (MP4 `rotate` tags arrive as one); as ffmpeg's own autorotate reads it. Flips are not reported.
static inline int mrcnn_stream_rotation(const AVStream *s) {
    size_t size = 0;
    const uint8_t *m = av_stream_get_side_data(s, AV_PKT_DATA_DISPLAYMATRIX, &size);
    if (!m || size < 9 * sizeof(int32_t)) return 0;
    double theta = -av_display_rotation_get((const int32_t *)m);
    if (isnan(theta)) return 0;
    long quarter = lround(theta / 90.0);
    int r = (int)(((quarter % 4) + 4) % 4) * 90;
    return r;
}
#endif
