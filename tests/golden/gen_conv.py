"""Golden cases for convolution and pooling. Regenerate: /usr/bin/python3 tests/golden/gen_conv.py

Shapes stay tiny: the harness also checks every gradient by float64 finite differences."""
import torch
import torch.nn.functional as F

from golden_lib import Golden

g = Golden("conv")
r = lambda *s: torch.randn(*s)
# Multiples of 1/16 print short in the JSON (keeping it small) and give exact float32 products;
# max pooling keeps continuous values so that no window has ties (finite differences need that).
q = lambda *s: torch.randint(-40, 41, s).float() / 16
# Gradients involve N(0,1) upstream gradients summed over up to ~30 terms in float32, and
# PyTorch (oneDNN) adds them in another order.
TOL = {"rtol": 1e-5, "atol": 1e-5}


def conv2d_case(name, x, w, b=None, stride=1, padding=0, dilation=1, groups=1, **tol):
    inputs = [x, w] + ([b] if b is not None else [])
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    g.case(name, "conv2d", lambda *t: F.conv2d(*t, **kw), inputs, kw, **{**TOL, **tol})


conv2d_case("conv2d", q(2, 2, 5, 5), q(3, 2, 3, 3), q(3))
conv2d_case("conv2d_no_bias", q(2, 2, 4, 4), q(2, 2, 3, 3))
conv2d_case("conv2d_stride2_pad1", q(1, 2, 6, 6), q(3, 2, 3, 3), q(3), stride=2, padding=1)
conv2d_case("conv2d_dilation2", q(1, 2, 7, 7), q(2, 2, 3, 3), q(2), dilation=2, padding=1)
conv2d_case("conv2d_groups2", q(1, 4, 5, 5), q(4, 2, 3, 3), q(4), groups=2)
conv2d_case("conv2d_depthwise", q(1, 3, 4, 4), q(3, 1, 3, 3), q(3), groups=3, padding=1)
conv2d_case("conv2d_rect_kernel_asym", q(1, 2, 6, 7), q(3, 2, 2, 3), q(3), stride=[2, 1], padding=[1, 0],
            dilation=[1, 2])
conv2d_case("conv2d_pointwise", q(1, 4, 3, 3), q(3, 4, 1, 1), q(3))
conv2d_case("conv2d_pointwise_groups", q(1, 4, 3, 3), q(4, 2, 1, 1), q(4), groups=2)
conv2d_case("conv2d_1x1_stride2", q(1, 3, 5, 5), q(2, 3, 1, 1), q(2), stride=2)
conv2d_case("conv2d_kernel_equals_input", q(2, 2, 3, 3), q(2, 2, 3, 3), q(2))
conv2d_case("conv2d_large_padding", q(1, 1, 2, 2), q(2, 1, 3, 3), q(2), padding=2)
conv2d_case("conv2d_unbatched", q(2, 4, 4), q(3, 2, 3, 3), q(3), padding=1)
conv2d_case("conv2d_f64", q(1, 2, 5, 5).double(), q(3, 2, 3, 3).double(), q(3).double(), stride=2, padding=1)


def conv1d_case(name, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    inputs = [x, w] + ([b] if b is not None else [])
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    g.case(name, "conv1d", lambda *t: F.conv1d(*t, **kw), inputs, kw, **TOL)


conv1d_case("conv1d", q(2, 3, 8), q(4, 3, 3), q(4))
conv1d_case("conv1d_stride_pad_dilation", q(2, 2, 9), q(3, 2, 3), q(3), stride=2, padding=2, dilation=2)
conv1d_case("conv1d_groups", q(1, 4, 6), q(4, 2, 2), None, groups=2)
conv1d_case("conv1d_unbatched", q(2, 7), q(3, 2, 3), q(3), padding=1)


def convt_case(name, x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    inputs = [x, w] + ([b] if b is not None else [])
    kw = {"stride": stride, "padding": padding, "output_padding": output_padding, "groups": groups,
          "dilation": dilation}
    g.case(name, "conv_transpose2d", lambda *t: F.conv_transpose2d(*t, **kw), inputs, kw, **TOL)


convt_case("conv_transpose2d", q(2, 2, 3, 3), q(2, 2, 3, 3), q(2))
convt_case("conv_transpose2d_stride2_pad1_outpad1", q(1, 2, 3, 3), q(2, 3, 3, 3), q(3), stride=2, padding=1,
           output_padding=1)
convt_case("conv_transpose2d_groups", q(1, 4, 3, 3), q(4, 1, 2, 2), q(2), stride=2, groups=2)
convt_case("conv_transpose2d_dilation", q(1, 2, 3, 4), q(2, 2, 3, 3), None, dilation=2, padding=1)
convt_case("conv_transpose2d_outpad_below_dilation", q(1, 2, 3, 3), q(2, 1, 3, 3), q(1), dilation=2,
           output_padding=1)
convt_case("conv_transpose2d_rect", q(1, 2, 3, 2), q(2, 2, 2, 3), q(2), stride=[2, 1], padding=[0, 1])
convt_case("conv_transpose2d_unbatched", q(2, 3, 3), q(2, 2, 3, 3), q(2), stride=2)


def maxpool_case(name, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    kw = {"kernel_size": kernel_size, "stride": stride or [], "padding": padding, "dilation": dilation,
          "ceil_mode": ceil_mode}
    g.case(name, "max_pool2d", lambda t: F.max_pool2d(t, kernel_size, stride, padding, dilation, ceil_mode), [x], kw)


maxpool_case("max_pool2d_k2", r(2, 2, 4, 4), 2)
maxpool_case("max_pool2d_k3_s2_p1", r(1, 1, 7, 7), 3, 2, 1)
maxpool_case("max_pool2d_ceil_mode", r(1, 1, 7, 7), 2, 2, 0, 1, True)
maxpool_case("max_pool2d_ceil_mode_pad", r(1, 1, 6, 6), 3, 2, 1, 1, True)
maxpool_case("max_pool2d_dilation", r(1, 1, 7, 7), 2, 1, 1, 2)
maxpool_case("max_pool2d_rect", r(1, 1, 5, 7), [2, 3], [1, 2], [1, 1])
maxpool_case("max_pool2d_unbatched", r(2, 4, 4), 2)
maxpool_case("max_pool2d_f64", r(1, 2, 5, 5).double(), 3, 2, 1, 1, True)


def avgpool_case(name, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    kw = {"kernel_size": kernel_size, "stride": stride or [], "padding": padding, "ceil_mode": ceil_mode,
          "count_include_pad": count_include_pad}
    g.case(name, "avg_pool2d", lambda t: F.avg_pool2d(t, kernel_size, stride, padding, ceil_mode, count_include_pad),
           [x], kw)


avgpool_case("avg_pool2d_k2", q(2, 2, 4, 4), 2)
avgpool_case("avg_pool2d_k3_s2_p1", q(1, 2, 7, 7), 3, 2, 1)
avgpool_case("avg_pool2d_k3_s2_p1_exclude_pad", q(1, 2, 7, 7), 3, 2, 1, False, False)
avgpool_case("avg_pool2d_ceil_mode", q(1, 2, 7, 7), 2, 2, 0, True)
avgpool_case("avg_pool2d_ceil_mode_pad", q(1, 1, 6, 6), 3, 2, 1, True, True)
avgpool_case("avg_pool2d_ceil_mode_pad_exclude", q(1, 1, 6, 6), 3, 2, 1, True, False)
avgpool_case("avg_pool2d_rect", q(1, 2, 5, 7), [2, 3], [1, 2], [1, 1])
avgpool_case("avg_pool2d_unbatched", q(2, 4, 4), 2)


def adaptive_case(name, x, output_size):
    g.case(name, "adaptive_avg_pool2d", lambda t: F.adaptive_avg_pool2d(t, output_size), [x],
           {"output_size": output_size})


adaptive_case("adaptive_avg_pool2d_uneven", q(1, 2, 5, 7), [3, 4])
adaptive_case("adaptive_avg_pool2d_even", q(1, 3, 6, 6), [2, 3])
adaptive_case("adaptive_avg_pool2d_global", q(2, 2, 4, 4), [1, 1])
adaptive_case("adaptive_avg_pool2d_upsample", q(1, 1, 3, 3), [5, 5])
adaptive_case("adaptive_avg_pool2d_unbatched_f64", q(2, 5, 5).double(), [2, 2])
g.write()
