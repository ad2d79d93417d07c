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

static inline int mrcnn_averror(int e) { return AVERROR(e); }
static inline int mrcnn_averror_eof(void) { return AVERROR_EOF; }
static inline int mrcnn_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t mrcnn_nopts(void) { return AV_NOPTS_VALUE; }
static inline AVRational mrcnn_time_base_q(void) { return AV_TIME_BASE_Q; }
static inline uint8_t *mrcnn_frame_data(AVFrame *f, int plane) { return f->data[plane]; }
static inline int mrcnn_frame_linesize(const AVFrame *f, int plane) { return f->linesize[plane]; }
#endif
