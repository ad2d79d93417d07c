// oneDNN probe: the model's conv / deconv shapes, fp32 and bf16, format_tag_any, best of 7 runs (ms, GFLOP/s), 2 threads by
// default (OMP_NUM_THREADS). Built against Sources/CDNNL/shim.h, so against oneDNN 2.x and 3.x alike, e.g.
//   gcc -O2 -w -I Sources/CDNNL -o /tmp/probe2 tools/bench/onednn_probe.c -ldnnl -ldl                      (Debian 2.6.3)
//   gcc -O2 -w -I Sources/CDNNL -I $P/include -L $P/lib -Wl,-rpath,$P/lib -o /tmp/probe3 tools/bench/onednn_probe.c -ldnnl -ldl
// with $P a prefix holding the PyPI wheels onednn-cpu-gomp + onednn-devel-cpu-gomp 2023.2.0 (oneDNN 3.2) unpacked.
#include "shim.h"
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static void run(const char *name, int deconv, int n, int ic, int oc, int h, int w, int k, int s, int p, dnnl_data_type_t dt, dnnl_data_type_t dst_dt) {
    int64_t oh = deconv ? (h - 1) * s - 2 * p + k : (h + 2 * p - k) / s + 1;
    int64_t ow = deconv ? (w - 1) * s - 2 * p + k : (w + 2 * p - k) / s + 1;
    int64_t sd[4] = {n, ic, h, w}, wd[4] = {oc, ic, k, k}, dd[4] = {n, oc, oh, ow}, bd[1] = {oc};
    int64_t st[2] = {s, s}, pd2[2] = {p, p};
    mrcnn_md src = mrcnn_md_tag(4, sd, dt, dnnl_format_tag_any), wei = mrcnn_md_tag(4, wd, dt, dnnl_format_tag_any);
    mrcnn_md dst = mrcnn_md_tag(4, dd, dst_dt, dnnl_format_tag_any), bia = mrcnn_md_tag(1, bd, dnnl_f32, dnnl_x);
    dnnl_primitive_attr_t attr = mrcnn_attr(0, 1);
    dnnl_primitive_desc_t pd;
    if (mrcnn_conv_pd(&pd, engine, deconv, src, wei, bia, dst, st, pd2, attr) != dnnl_success) { printf("%s: no pd\n", name); return; }
    const char *impl = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    mrcnn_md s2 = mrcnn_pd_md(pd, dnnl_query_src_md), w2 = mrcnn_pd_md(pd, dnnl_query_weights_md), d2 = mrcnn_pd_md(pd, dnnl_query_dst_md);
    dnnl_memory_t ms, mw, md, mb;
    mrcnn_memory(&ms, s2, engine, NULL); mrcnn_memory(&mw, w2, engine, NULL); mrcnn_memory(&md, d2, engine, NULL); mrcnn_memory(&mb, bia, engine, NULL);
    void *hs; dnnl_memory_get_data_handle(ms, &hs); memset(hs, 0, mrcnn_md_size(s2));
    void *hw; dnnl_memory_get_data_handle(mw, &hw); memset(hw, 0, mrcnn_md_size(w2));
    dnnl_primitive_t prim; dnnl_primitive_create(&prim, pd);
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
    double best = 1e9;
    for (int r = 0; r < 8; r++) {
        double t0 = now();
        dnnl_primitive_execute(prim, stream, 4, args);
        dnnl_stream_wait(stream);
        double t = now() - t0;
        if (r > 0 && t < best) best = t;
    }
    double flops = 2.0 * n * oc * ic * k * k * (deconv ? h * w : oh * ow);
    printf("%-34s %s %6.2f ms %6.0f GFLOP/s  %s\n", name, dt == dnnl_bf16 ? "bf16" : "fp32", best * 1e3, flops / best / 1e9, impl);
    dnnl_primitive_destroy(prim); dnnl_primitive_desc_destroy(pd);
}

int main(void) {
    dnnl_engine_create(&engine, dnnl_cpu, 0);
    dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    printf("oneDNN %s isa %s\n", mrcnn_dnnl_version(), mrcnn_effective_isa());
    int sides[2] = {480, 800};
    for (int t = 0; t < 2; t++) {
        dnnl_data_type_t dt = t ? dnnl_bf16 : dnnl_f32;
        for (int i = 0; i < 2; i++) {
            int H = sides[i], W = sides[i] * 4 / 3; H = (H + 31) / 32 * 32; W = (W + 31) / 32 * 32;
            char nm[64];
            snprintf(nm, 64, "%d: 1x1 256->64 /4", sides[i]); run(nm, 0, 1, 256, 64, H / 4, W / 4, 1, 1, 0, dt, dt);
            snprintf(nm, 64, "%d: 1x1 64->256 /4", sides[i]); run(nm, 0, 1, 64, 256, H / 4, W / 4, 1, 1, 0, dt, dt);
            snprintf(nm, 64, "%d: 1x1 512->128 /8", sides[i]); run(nm, 0, 1, 512, 128, H / 8, W / 8, 1, 1, 0, dt, dt);
            snprintf(nm, 64, "%d: 1x1 1024->256 /16", sides[i]); run(nm, 0, 1, 1024, 256, H / 16, W / 16, 1, 1, 0, dt, dt);
            snprintf(nm, 64, "%d: 1x1 2048->512 /32", sides[i]); run(nm, 0, 1, 2048, 512, H / 32, W / 32, 1, 1, 0, dt, dt);
            snprintf(nm, 64, "%d: 3x3 64->64 /4", sides[i]); run(nm, 0, 1, 64, 64, H / 4, W / 4, 3, 1, 1, dt, dt);
            snprintf(nm, 64, "%d: 3x3 256->256 /4", sides[i]); run(nm, 0, 1, 256, 256, H / 4, W / 4, 3, 1, 1, dt, dt);
            snprintf(nm, 64, "%d: 3x3 256->256 /8", sides[i]); run(nm, 0, 1, 256, 256, H / 8, W / 8, 3, 1, 1, dt, dt);
        }
        run("mask 3x3 256->256 32x14x14", 0, 32, 256, 256, 14, 14, 3, 1, 1, dt, dt);
        run("mask deconv-as-1x1 256->1024 32x14", 0, 32, 256, 1024, 14, 14, 1, 1, 0, dt, dt);
        run("mask deconv 2x2/2 256->256 32x14", 1, 32, 256, 256, 14, 14, 2, 2, 0, dt, dt);
        run("mask logits 1x1 256->91 32x28", 0, 32, 256, 91, 28, 28, 1, 1, 0, dt, dnnl_f32);
        run("mask logits 1x1 256->91 128x14", 0, 128, 256, 91, 14, 14, 1, 1, 0, dt, dnnl_f32);
    }
    return 0;
}
