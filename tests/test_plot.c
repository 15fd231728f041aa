/* test_plot.c — the plot library: every chart to PNG, SVG and PDF; PNGs
 * decode with libpng at the requested size and carry the provenance tEXt
 * chunks (and pass pngcheck when it is installed); SVGs parse as XML; PDFs
 * are whole; pixels land where the data says; a golden image; bad inputs;
 * failed allocations; the 100k-point scatter's time.
 *
 * Golden image: tests/golden/heatmap_320x240.png. After an intended change
 * of the look, regenerate it with
 *     GP_REGEN_GOLDEN=1 build/tests/test_plot
 * and look at the new file before committing it. */
#include "gp_test.h"

#include <math.h>
#include <png.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GOLDEN "tests/golden/heatmap_320x240.png"

static char tmpdir[256];

static const char *tmp(const char *name) {
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", tmpdir, name);
    return b;
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gp_test_plot_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Reading files back                                                 */
/* ------------------------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) fail_msg("short read %s", path);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* Decode a PNG to 8-bit RGBA (caller frees). */
static unsigned char *read_png(const char *path, int *w, int *h) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) fail_msg("%s: %s", path, img.message);
    img.format = PNG_FORMAT_RGBA;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) fail_msg("%s: %s", path, img.message);
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

/* The value of text chunk `key` of a PNG, or NULL (caller frees). */
static char *png_text_value(const char *path, const char *key) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    char *volatile found = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        fail_msg("%s: libpng could not read it", path);
    }
    png_init_io(png, f);
    png_read_info(png, info);
    png_textp text;
    int n = 0;
    png_get_text(png, info, &text, &n);
    for (int i = 0; i < n && !found; i++)
        if (strcmp(text[i].key, key) == 0) found = strdup(text[i].text);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return found;
}

static int have(const char *tool) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

static void check_png(const char *path, int w, int h) {
    int gw, gh;
    free(read_png(path, &gw, &gh));
    assert_int_equal(gw, w);
    assert_int_equal(gh, h);
    char *sw = png_text_value(path, "Software");
    assert_non_null(sw);
    assert_string_equal(sw, "geoprobe " GP_VERSION);
    free(sw);
    char *cmd = png_text_value(path, "command");
    assert_non_null(cmd);
    assert_string_equal(cmd, "geoprobe pca a.npy --plot \"x&y<z>\"");
    free(cmd);
    char *sha = png_text_value(path, "input_sha256");
    assert_non_null(sha);
    free(sha);
    if (have("pngcheck")) {
        char c[700];
        snprintf(c, sizeof c, "pngcheck -q '%s' >/dev/null", path);
        if (system(c) != 0) fail_msg("pngcheck rejects %s", path);
    }
}

static void check_svg(const char *path) {
    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_true(len > 100);
    assert_memory_equal(b, "<?xml", 5);
    assert_non_null(strstr((char *)b, "<svg"));
    assert_non_null(strstr((char *)b, "<metadata>"));
    assert_non_null(strstr((char *)b, "geoprobe pca a.npy --plot &quot;x&amp;y&lt;z&gt;&quot;"));
    assert_non_null(strstr((char *)b, "</svg>"));
    free(b);
    if (have("/usr/bin/python3")) {
        char c[700];
        snprintf(c, sizeof c,
                 "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "
                 "'%s'", path);
        if (system(c) != 0) fail_msg("%s is not well-formed XML", path);
    }
}

static void check_pdf(const char *path) {
    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_true(len > 100);
    assert_memory_equal(b, "%PDF-", 5);
    size_t end = len;
    while (end > 0 && (b[end - 1] == '\n' || b[end - 1] == '\r')) end--;
    assert_true(end >= 5);
    assert_memory_equal(b + end - 5, "%%EOF", 5);
    free(b);
}

/* ------------------------------------------------------------------ */
/* Data                                                               */
/* ------------------------------------------------------------------ */

static const char *const meta_keys[3] = {"geoprobe_version", "command", "input_sha256"};
static const char *const meta_values[3] = {
    GP_VERSION, "geoprobe pca a.npy --plot \"x&y<z>\"",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};

static gp_plot_opts opts(int w, int h) {
    gp_plot_opts o;
    gp_plot_opts_init(&o);
    o.width_px = w;
    o.height_px = h;
    o.dpi = w >= 1000 ? 200 : 100;
    o.n_meta = 3;
    o.meta_keys = meta_keys;
    o.meta_values = meta_values;
    return o;
}

static uint64_t rng_state = 42;
static double unif(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

/* Two classes: class 0 at x in [-3, -1], class 1 at x in [1, 3]. */
typedef struct two_class {
    int64_t n;
    double x[400], y[400];
    int32_t ids[400];
} two_class;

static void make_two_class(two_class *t) {
    t->n = 400;
    for (int i = 0; i < 400; i++) {
        t->ids[i] = i % 2;
        t->x[i] = (t->ids[i] ? 1 : -3) + 2 * unif();
        t->y[i] = 2 * unif() - 1;
    }
}

/* Draw chart `which` (0..5) to path. */
static gp_status draw_chart(int which, const gp_plot_opts *o, const char *path) {
    static two_class t;
    make_two_class(&t);
    static const char *const names[2] = {"false", "true"};
    switch (which) {
    case 0: {
        double arrow[2] = {1, 0.2};
        gp_plot_scatter_data s = {0};
        s.n = t.n;
        s.x = t.x;
        s.y = t.y;
        s.ids = t.ids;
        s.n_classes = 2;
        s.class_names = names;
        s.show_centroids = 1;
        s.arrow = arrow;
        s.arrow_label = "probe";
        s.x_label = "PC1 (23.4%)";
        s.y_label = "PC2 (11.0%)";
        return gp_plot_scatter(&s, o, path);
    }
    case 1: {
        double r[8] = {0.4, 0.2, 0.1, 0.08, 0.05, 0.03, 0.02, 0.01};
        gp_plot_scree_data s = {8, r, 1};
        return gp_plot_scree(&s, o, path);
    }
    case 2: {
        double sc[400];
        for (int i = 0; i < 400; i++) sc[i] = 0.5 + 0.2 * (t.ids[i] ? 1 : -1) + 0.15 * (unif() - 0.5);
        gp_plot_hist_data h = {0};
        h.n = 400;
        h.scores = sc;
        h.ids = t.ids;
        h.n_classes = 2;
        h.class_names = names;
        h.has_threshold = 1;
        h.threshold = 0.5;
        return gp_plot_hist(&h, o, path);
    }
    case 3: {
        double x[6] = {0, 1, 2, 3, 4, 5};
        double y[12] = {0.5, 0.7, 0.8, NAN, 0.9, 0.92, 0.5, 0.55, 0.6, 0.62, 0.6, 0.58};
        double lo[12], hi[12];
        for (int i = 0; i < 12; i++) {
            lo[i] = y[i] - 0.03;
            hi[i] = y[i] + 0.03;
        }
        const char *sn[2] = {"logistic", "mass-mean"};
        gp_plot_curve_data c = {0};
        c.n_series = 2;
        c.n_points = 6;
        c.x = x;
        c.y = y;
        c.lo = lo;
        c.hi = hi;
        c.series_names = sn;
        c.has_chance = 1;
        c.chance = 0.5;
        c.y_label = "accuracy";
        return gp_plot_curve(&c, o, path);
    }
    case 4: {
        double v[12] = {1, 0.9, 0.5, 0.2, 0.9, 1, 0.6, NAN, 0.5, 0.6, 1, 0.7};
        const char *rn[3] = {"layer 0", "layer 1", "layer 2"};
        gp_plot_heatmap_data h = {0};
        h.rows = 3;
        h.cols = 4;
        h.values = v;
        h.row_names = rn;
        h.show_values = -1;
        h.colorbar_label = "CKA";
        return gp_plot_heatmap(&h, o, path);
    }
    default: {
        double pp[400], pn[400];
        for (int i = 0; i < 400; i++) {
            pp[i] = t.ids[i] ? 0.7 + 0.3 * unif() : 0.3 * unif();
            pn[i] = 1 - pp[i] + 0.1 * (unif() - 0.5);
            if (pn[i] < 0) pn[i] = 0;
            if (pn[i] > 1) pn[i] = 1;
        }
        gp_plot_contrast_data c = {0};
        c.n = 400;
        c.p_pos = pp;
        c.p_neg = pn;
        c.ids = t.ids;
        return gp_plot_contrast(&c, o, path);
    }
    }
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void opts_init_should_set_the_documented_defaults(void **state) {
    (void)state;
    gp_plot_opts o;
    memset(&o, 0x5a, sizeof o);
    gp_plot_opts_init(&o);
    assert_int_equal(o.width_px, 1600);
    assert_int_equal(o.height_px, 1200);
    assert_true(o.dpi == 200);
    assert_null(o.title);
    assert_int_equal(o.n_meta, 0);
    gp_plot_opts_init(NULL); /* harmless */
}

static void every_chart_should_render_to_png_svg_and_pdf(void **state) {
    (void)state;
    static const char *const chart[6] = {"scatter", "scree", "hist", "curve", "heatmap", "contrast"};
    static const char *const ext[4] = {"png", "svg", "pdf", "PNG"};
    gp_plot_opts o = opts(800, 600);
    for (int c = 0; c < 6; c++)
        for (int e = 0; e < 4; e++) {
            char name[64];
            snprintf(name, sizeof name, "%s.%s", chart[c], ext[e]);
            const char *p = tmp(name);
            gp_status s = draw_chart(c, &o, p);
            if (s != GP_OK) fail_msg("%s: %s", name, gp_last_error());
            if (e == 0 || e == 3) check_png(p, 800, 600);
            else if (e == 1) check_svg(p);
            else check_pdf(p);
        }
}

static void default_size_png_should_be_1600_by_1200(void **state) {
    (void)state;
    gp_plot_opts o;
    gp_plot_opts_init(&o);
    o.n_meta = 3;
    o.meta_keys = meta_keys;
    o.meta_values = meta_values;
    CHECK_OK(draw_chart(3, &o, tmp("default.png")));
    check_png(tmp("default.png"), 1600, 1200);
    CHECK_OK(draw_chart(3, NULL, tmp("null_opts.png"))); /* NULL options: the defaults */
    int w, h;
    free(read_png(tmp("null_opts.png"), &w, &h));
    assert_int_equal(w, 1600);
    assert_int_equal(h, 1200);
}

static int is_class0(const unsigned char *p) { return p[2] > p[0] + 60 && p[2] > 120; }
static int is_class1(const unsigned char *p) { return p[0] > p[2] + 80 && p[1] > 100; }

static void scatter_pixels_should_land_on_the_side_of_their_class(void **state) {
    (void)state;
    gp_plot_opts o = opts(800, 600);
    o.title = "";
    CHECK_OK(draw_chart(0, &o, tmp("sides.png")));
    int w, h;
    unsigned char *px = read_png(tmp("sides.png"), &w, &h);
    long c0[2] = {0, 0}, c1[2] = {0, 0};
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            const unsigned char *p = px + 4 * ((size_t)i * (size_t)w + (size_t)j);
            int right = j >= w / 2;
            if (is_class0(p)) c0[right]++;
            if (is_class1(p)) c1[right]++;
        }
    free(px);
    /* the plot area is about centered; legend handles add a few pixels */
    if (!(c0[0] > 2000 && c0[0] > 20 * c0[1] && c1[1] > 2000 && c1[1] > 20 * c1[0]))
        fail_msg("class 0 left/right %ld/%ld, class 1 left/right %ld/%ld", c0[0], c0[1], c1[0],
                 c1[1]);
}

static void png_should_be_identical_for_identical_input(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    CHECK_OK(draw_chart(4, &o, tmp("same1.png")));
    CHECK_OK(draw_chart(4, &o, tmp("same2.png")));
    CHECK_OK(draw_chart(4, &o, tmp("same1.pdf")));
    CHECK_OK(draw_chart(4, &o, tmp("same2.pdf")));
    for (int k = 0; k < 2; k++) {
        size_t la, lb;
        unsigned char *a = slurp(tmp(k ? "same1.pdf" : "same1.png"), &la);
        unsigned char *b = slurp(tmp(k ? "same2.pdf" : "same2.png"), &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a);
        free(b);
    }
}

static void golden_heatmap_should_match_within_tolerance(void **state) {
    (void)state;
    double v[12] = {1.0, 0.82, 0.35, 0.12, 0.82, 1.0, 0.51, 0.2, 0.35, 0.51, 1.0, 0.64};
    const char *rn[3] = {"emb", "L1", "L2"};
    gp_plot_heatmap_data hm = {0};
    hm.rows = 3;
    hm.cols = 4;
    hm.values = v;
    hm.row_names = rn;
    hm.has_range = 1;
    hm.vmin = 0;
    hm.vmax = 1;
    hm.show_values = -1;
    hm.colorbar_label = "CKA";
    hm.x_label = "layer";
    gp_plot_opts o;
    gp_plot_opts_init(&o);
    o.width_px = 320;
    o.height_px = 240;
    o.dpi = 72;
    o.title = "Golden";
    const char *regen = getenv("GP_REGEN_GOLDEN");
    if (regen && *regen && strcmp(regen, "0") != 0) {
        CHECK_OK(gp_plot_heatmap(&hm, &o, GOLDEN));
        print_message("regenerated %s\n", GOLDEN);
        return;
    }
    CHECK_OK(gp_plot_heatmap(&hm, &o, tmp("golden.png")));
    int w, h, gw, gh;
    unsigned char *got = read_png(tmp("golden.png"), &w, &h);
    if (access(GOLDEN, R_OK) != 0) fail_msg("missing %s (GP_REGEN_GOLDEN=1 writes it)", GOLDEN);
    unsigned char *want = read_png(GOLDEN, &gw, &gh);
    assert_int_equal(w, gw);
    assert_int_equal(h, gh);
    long differ = 0;
    for (size_t k = 0; k < (size_t)w * (size_t)h; k++) {
        int d = 0;
        for (int ch = 0; ch < 3; ch++) {
            int e = abs((int)got[4 * k + ch] - (int)want[4 * k + ch]);
            if (e > d) d = e;
        }
        if (d > 48) differ++;
    }
    free(got);
    free(want);
    /* antialiasing and font rasterizers differ a little between builds */
    if (differ > (long)(0.02 * w * h))
        fail_msg("%ld of %d pixels differ from %s by more than 48", differ, w * h, GOLDEN);
}

static void bad_extension_should_fail_naming_the_path(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    CHECK_FAILS(draw_chart(1, &o, tmp("chart.jpg")), GP_EINVAL, "chart.jpg");
    CHECK_FAILS(draw_chart(1, &o, tmp("chart")), GP_EINVAL, "unknown image format");
    CHECK_FAILS(draw_chart(1, &o, tmp("dir.png/chart")), GP_EINVAL, "unknown image format");
    CHECK_FAILS(draw_chart(1, &o, NULL), GP_EINVAL, "no output path");
    assert_int_equal(access(tmp("chart.jpg"), F_OK), -1);
}

static void unwritable_folder_should_fail_and_keep_the_old_file(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    CHECK_FAILS(draw_chart(1, &o, "/nonexistent-gp-dir/x.png"), GP_EIO, "/nonexistent-gp-dir/x.png");
    /* an existing file in a folder we may not write to */
    const char *dir = tmp("ro");
    assert_int_equal(mkdir(dir, 0755), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/old.png", dir);
    FILE *f = fopen(path, "wb");
    fputs("old contents", f);
    fclose(f);
    chmod(dir, 0555);
    if (access(dir, W_OK) == 0) { /* root ignores the mode: use a path under a file */
        chmod(dir, 0755);
        char under[700];
        snprintf(under, sizeof under, "%s/sub.png", path);
        CHECK_FAILS(draw_chart(1, &o, under), GP_EIO, "sub.png");
    } else {
        CHECK_FAILS(draw_chart(1, &o, path), GP_EIO, "old.png");
        chmod(dir, 0755);
    }
    size_t len;
    unsigned char *b = slurp(path, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(b, "old contents", 12);
    free(b);
    /* a directory where the file should be */
    CHECK_FAILS(draw_chart(1, &o, dir), GP_EINVAL, "unknown image format");
    char dpng[600];
    snprintf(dpng, sizeof dpng, "%s/d.png", dir);
    assert_int_equal(mkdir(dpng, 0755), 0);
    CHECK_FAILS(draw_chart(1, &o, dpng), GP_EIO, "directory");
}

static void nan_points_should_be_skipped_and_all_nan_should_fail(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    double x[5] = {0, NAN, 1, INFINITY, 2}, y[5] = {0, 1, NAN, 1, 2};
    gp_plot_scatter_data s = {0};
    s.n = 5;
    s.x = x;
    s.y = y;
    CHECK_OK(gp_plot_scatter(&s, &o, tmp("nan.png")));
    double nx[3] = {NAN, NAN, INFINITY}, ny[3] = {0, 0, 0};
    s.n = 3;
    s.x = nx;
    s.y = ny;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("allnan.png")), GP_EINVAL, "no finite points");
    assert_int_equal(access(tmp("allnan.png"), F_OK), -1);

    double sc[4] = {0.1, NAN, 0.3, 0.9};
    gp_plot_hist_data h = {0};
    h.n = 4;
    h.scores = sc;
    CHECK_OK(gp_plot_hist(&h, &o, tmp("hnan.png")));
    double allnan[2] = {NAN, NAN};
    h.n = 2;
    h.scores = allnan;
    CHECK_FAILS(gp_plot_hist(&h, &o, tmp("hallnan.png")), GP_EINVAL, "no finite scores");

    double cx[2] = {0, 1}, cy[2] = {NAN, NAN};
    gp_plot_curve_data c = {0};
    c.n_series = 1;
    c.n_points = 2;
    c.x = cx;
    c.y = cy;
    CHECK_FAILS(gp_plot_curve(&c, &o, tmp("cnan.png")), GP_EINVAL, "no finite y");
    double hv[4] = {NAN, NAN, NAN, NAN};
    gp_plot_heatmap_data hm = {0};
    hm.rows = 2;
    hm.cols = 2;
    hm.values = hv;
    CHECK_FAILS(gp_plot_heatmap(&hm, &o, tmp("hmnan.png")), GP_EINVAL, "no finite values");
}

static void empty_or_missing_data_should_fail(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    double x[1] = {0};
    gp_plot_scatter_data s = {0};
    s.x = x;
    s.y = x;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("e.png")), GP_EINVAL, "n = 0");
    CHECK_FAILS(gp_plot_scatter(NULL, &o, tmp("e.png")), GP_EINVAL, "NULL");
    s.n = 1;
    s.y = NULL;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("e.png")), GP_EINVAL, "NULL");
    gp_plot_scree_data sc = {0, x, 0};
    CHECK_FAILS(gp_plot_scree(&sc, &o, tmp("e.png")), GP_EINVAL, "k = 0");
    gp_plot_hist_data h = {0};
    h.scores = x;
    CHECK_FAILS(gp_plot_hist(&h, &o, tmp("e.png")), GP_EINVAL, "n = 0");
    gp_plot_curve_data c = {0};
    c.x = x;
    c.y = x;
    CHECK_FAILS(gp_plot_curve(&c, &o, tmp("e.png")), GP_EINVAL, "n_series = 0");
    gp_plot_heatmap_data hm = {0};
    hm.values = x;
    CHECK_FAILS(gp_plot_heatmap(&hm, &o, tmp("e.png")), GP_EINVAL, "empty");
    gp_plot_contrast_data ct = {0};
    ct.p_pos = ct.p_neg = x;
    CHECK_FAILS(gp_plot_contrast(&ct, &o, tmp("e.png")), GP_EINVAL, "n = 0");
    assert_int_equal(access(tmp("e.png"), F_OK), -1);
}

static void bad_values_should_fail_with_a_message(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    double x[3] = {0, 1, 2};
    int32_t ids[3] = {0, 2, 1};
    gp_plot_scatter_data s = {0};
    s.n = 3;
    s.x = x;
    s.y = x;
    s.ids = ids;
    s.n_classes = 2;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("b.png")), GP_EINVAL, "ids[1] = 2");
    s.n_classes = 0;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("b.png")), GP_EINVAL, "n_classes");
    s.ids = NULL;
    double zero[2] = {0, 0};
    s.arrow = zero;
    CHECK_FAILS(gp_plot_scatter(&s, &o, tmp("b.png")), GP_EINVAL, "arrow");
    double r[2] = {0.5, 1.5};
    gp_plot_scree_data sc = {2, r, 0};
    CHECK_FAILS(gp_plot_scree(&sc, &o, tmp("b.png")), GP_EINVAL, "ratio[1]");
    double pp[2] = {0.5, 1.2};
    gp_plot_contrast_data ct = {0};
    ct.n = 2;
    ct.p_pos = pp;
    ct.p_neg = pp;
    CHECK_FAILS(gp_plot_contrast(&ct, &o, tmp("b.png")), GP_EINVAL, "outside [0, 1]");
    gp_plot_hist_data h = {0};
    h.n = 3;
    h.scores = x;
    h.n_bins = -2;
    CHECK_FAILS(gp_plot_hist(&h, &o, tmp("b.png")), GP_EINVAL, "n_bins");
    gp_plot_heatmap_data hm = {0};
    hm.rows = 1;
    hm.cols = 3;
    hm.values = x;
    hm.has_range = 1;
    hm.vmin = 1;
    hm.vmax = 1;
    CHECK_FAILS(gp_plot_heatmap(&hm, &o, tmp("b.png")), GP_EINVAL, "range");
    /* options */
    gp_plot_opts bad = o;
    bad.width_px = 0;
    CHECK_FAILS(draw_chart(1, &bad, tmp("b.png")), GP_EINVAL, "width_px");
    bad = o;
    bad.dpi = NAN;
    CHECK_FAILS(draw_chart(1, &bad, tmp("b.png")), GP_EINVAL, "dpi");
    bad = o;
    const char *bad_keys[3] = {"geoprobe_version", "two  spaces", "x"};
    bad.meta_keys = bad_keys;
    CHECK_FAILS(draw_chart(1, &bad, tmp("b.png")), GP_EINVAL, "meta_keys[1]");
    bad = o;
    bad.meta_values = NULL;
    CHECK_FAILS(draw_chart(1, &bad, tmp("b.png")), GP_EINVAL, "meta_values");
    assert_int_equal(access(tmp("b.png"), F_OK), -1);
}

static void degenerate_data_should_still_render(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    /* constant coordinates, one point, constant values */
    double c5[5] = {3, 3, 3, 3, 3}, z5[5] = {0, 0, 0, 0, 0};
    gp_plot_scatter_data s = {0};
    s.n = 5;
    s.x = c5;
    s.y = z5;
    s.values = c5;
    CHECK_OK(gp_plot_scatter(&s, &o, tmp("const.png")));
    s.n = 1;
    CHECK_OK(gp_plot_scatter(&s, &o, tmp("one.svg")));
    gp_plot_hist_data h = {0};
    h.n = 5;
    h.scores = c5;
    h.has_threshold = 1;
    h.threshold = 10;
    CHECK_OK(gp_plot_hist(&h, &o, tmp("hconst.png")));
    double one[1] = {1};
    gp_plot_scree_data sc = {1, one, 1};
    CHECK_OK(gp_plot_scree(&sc, &o, tmp("scree1.png")));
    gp_plot_curve_data cu = {0};
    double x1[1] = {7};
    cu.n_series = 1;
    cu.n_points = 1;
    cu.x = x1;
    cu.y = one;
    CHECK_OK(gp_plot_curve(&cu, &o, tmp("curve1.pdf")));
    gp_plot_heatmap_data hm = {0};
    hm.rows = 1;
    hm.cols = 1;
    hm.values = one;
    CHECK_OK(gp_plot_heatmap(&hm, &o, tmp("hm1.png")));
    /* huge and tiny magnitudes */
    double big[3] = {1e12, 2e12, 3e12}, tiny[3] = {1e-9, 2e-9, 4e-9};
    s.n = 3;
    s.x = big;
    s.y = tiny;
    s.values = NULL;
    CHECK_OK(gp_plot_scatter(&s, &o, tmp("mag.png")));
    /* many classes: the legend is cut short */
    int32_t ids[60];
    double xs[60], ys[60];
    for (int i = 0; i < 60; i++) {
        ids[i] = i;
        xs[i] = i;
        ys[i] = i % 7;
    }
    gp_plot_scatter_data m = {0};
    m.n = 60;
    m.x = xs;
    m.y = ys;
    m.ids = ids;
    m.n_classes = 60;
    m.show_centroids = 1;
    CHECK_OK(gp_plot_scatter(&m, &o, tmp("many.png")));
    /* a large matrix is drawn as an image */
    static double mat[300 * 200];
    for (int i = 0; i < 300 * 200; i++) mat[i] = sin(i * 0.01);
    gp_plot_heatmap_data big_hm = {0};
    big_hm.rows = 300;
    big_hm.cols = 200;
    big_hm.values = mat;
    big_hm.show_values = -1;
    CHECK_OK(gp_plot_heatmap(&big_hm, &o, tmp("bighm.png")));
    CHECK_OK(gp_plot_heatmap(&big_hm, &o, tmp("bighm.svg")));
    check_svg(tmp("bighm.svg"));
}

static void odd_text_should_not_break_the_files(void **state) {
    (void)state;
    gp_plot_opts o = opts(400, 300);
    o.title = "bad \xff\xfe utf-8 and\ncontrols \x01 \xe2\x80\x94 <&> \xce\xbb";
    const char *vals[3] = {"v\xc3\xa9rsion \xe2\x9c\x93", "line1\nline2", "bad \xc3"};
    o.meta_values = vals;
    for (int e = 0; e < 3; e++) {
        const char *p = tmp(e == 0 ? "odd.png" : e == 1 ? "odd.svg" : "odd.pdf");
        CHECK_OK(draw_chart(0, &o, p));
        if (e == 1 && have("/usr/bin/python3")) {
            char c[700];
            snprintf(c, sizeof c,
                     "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; "
                     "E.parse(sys.argv[1])' '%s'", p);
            if (system(c) != 0) fail_msg("%s is not well-formed XML", p);
        }
    }
    char *v = png_text_value(tmp("odd.png"), "geoprobe_version");
    assert_non_null(v);
    assert_string_equal(v, "v\xc3\xa9rsion \xe2\x9c\x93"); /* iTXt keeps UTF-8 */
    free(v);
    if (have("pngcheck")) {
        char c[700];
        snprintf(c, sizeof c, "pngcheck -q '%s' >/dev/null", tmp("odd.png"));
        if (system(c) != 0) fail_msg("pngcheck rejects odd.png");
    }
}

static void failed_allocations_should_return_enomem_and_leak_nothing(void **state) {
    (void)state;
    gp_plot_opts o = opts(200, 150);
    for (int chart = 0; chart < 6; chart++) {
        const char *p = tmp(chart % 3 == 0 ? "oom.png" : chart % 3 == 1 ? "oom.svg" : "oom.pdf");
        for (long k = 1;; k++) {
            oom_arm(k);
            gp_status s = draw_chart(chart, &o, p);
            long calls = oom_calls(), live = oom_live();
            oom_disarm();
            if (calls < k) { /* every allocation succeeded */
                if (s != GP_OK) fail_msg("chart %d: %s", chart, gp_last_error());
                break;
            }
            if (s != GP_ENOMEM)
                fail_msg("chart %d, allocation %ld failing: status %d (%s)", chart, k, (int)s,
                         gp_last_error());
            if (live != 0) fail_msg("chart %d, allocation %ld failing: %ld blocks leaked", chart, k, live);
            if (k > 500) fail_msg("chart %d: too many allocations", chart);
        }
    }
}

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void scatter_of_100k_points_should_be_fast(void **state) {
    (void)state;
    int64_t n = 100000;
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int32_t *ids = malloc((size_t)n * sizeof *ids);
    for (int64_t i = 0; i < n; i++) {
        double r = sqrt(-2 * log(unif())), a = 2 * M_PI * unif();
        ids[i] = (int32_t)(i % 3);
        x[i] = r * cos(a) + 2.5 * (ids[i] - 1);
        y[i] = r * sin(a) + (ids[i] == 1 ? 2 : 0);
    }
    gp_plot_scatter_data s = {0};
    s.n = n;
    s.x = x;
    s.y = y;
    s.ids = ids;
    s.n_classes = 3;
    s.show_centroids = 1;
    gp_plot_opts o;
    gp_plot_opts_init(&o);
    const char *ext[3] = {"png", "svg", "pdf"};
    for (int e = 0; e < 3; e++) {
        char name[32];
        snprintf(name, sizeof name, "big.%s", ext[e]);
        double t0 = seconds();
        CHECK_OK(gp_plot_scatter(&s, &o, tmp(name)));
        double dt = seconds() - t0;
        struct stat st;
        assert_int_equal(stat(tmp(name), &st), 0);
        print_message("100k-point scatter, 1600x1200 %s: %.3f s, %lld bytes\n", ext[e], dt,
                      (long long)st.st_size);
        /* generous: about 0.5 s on one core of a laptop; sanitizers are slower */
#if defined(__SANITIZE_ADDRESS__)
        assert_true(dt < 30);
#else
        assert_true(dt < 5);
#endif
        assert_true(st.st_size < 8 * 1024 * 1024); /* vector pages embed the cloud as an image */
    }
    free(x);
    free(y);
    free(ids);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opts_init_should_set_the_documented_defaults),
        cmocka_unit_test(every_chart_should_render_to_png_svg_and_pdf),
        cmocka_unit_test(default_size_png_should_be_1600_by_1200),
        cmocka_unit_test(scatter_pixels_should_land_on_the_side_of_their_class),
        cmocka_unit_test(png_should_be_identical_for_identical_input),
        cmocka_unit_test(golden_heatmap_should_match_within_tolerance),
        cmocka_unit_test(bad_extension_should_fail_naming_the_path),
        cmocka_unit_test(unwritable_folder_should_fail_and_keep_the_old_file),
        cmocka_unit_test(nan_points_should_be_skipped_and_all_nan_should_fail),
        cmocka_unit_test(empty_or_missing_data_should_fail),
        cmocka_unit_test(bad_values_should_fail_with_a_message),
        cmocka_unit_test(degenerate_data_should_still_render),
        cmocka_unit_test(odd_text_should_not_break_the_files),
        cmocka_unit_test(failed_allocations_should_return_enomem_and_leak_nothing),
        cmocka_unit_test(scatter_of_100k_points_should_be_fast),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    gp_plot_shutdown(); /* font caches: LeakSanitizer runs at exit */
    return failed;
}
