"""Attributions: which parts of an input a model's score depends on, as Captum computes them.

    attr, delta = ember.explain.integrated_gradients(model, images, target=labels, steps=50,
                                                     return_convergence_delta=True)

`model` is any callable (an ember.nn.Module) taking inputs (N, ...) to scores (N, C); `target` is
one class for every example (an int) or one per example (a list or an int64 tensor). The methods
run in C++ (ember::explain) on the autograd engine, batched; each returns attributions shaped
like `inputs`. Put the model in eval() mode first, as with Captum.
"""
from . import _C

__all__ = ["saliency", "input_x_gradient", "integrated_gradients", "smoothgrad", "occlusion", "shapley_values",
           "kernel_shap", "lime"]


def _targets(target, fn):
    if target is None:
        raise _C.Error(f"{fn}: target is required (the class whose score to explain, per example or one for all)")
    if isinstance(target, _C.Tensor):
        return [int(v) for v in target.reshape(-1).tolist()]
    if isinstance(target, int):
        return [target]
    return [int(v) for v in target]


def saliency(model, inputs, target=None, abs=True):
    """Captum's Saliency: the gradient of the target score (its absolute value when abs)."""
    return _C.explain.saliency(model, inputs, _targets(target, "saliency"), abs)


def input_x_gradient(model, inputs, target=None):
    """Captum's InputXGradient: inputs * d score / d inputs."""
    return _C.explain.input_x_gradient(model, inputs, _targets(target, "input_x_gradient"))


def integrated_gradients(model, inputs, target=None, baseline=None, steps=50, method="gausslegendre",
                         internal_batch_size=256, return_convergence_delta=False):
    """Captum's IntegratedGradients (Sundararajan et al. 2017): (x - baseline) times the gradient
    averaged along the straight path, by `method`'s quadrature with `steps` points (baseline None:
    zeros). With return_convergence_delta, also (N,) sum(attributions) - (f(x) - f(baseline))."""
    attr, delta = _C.explain.integrated_gradients(model, inputs, _targets(target, "integrated_gradients"), baseline,
                                                  steps, method, internal_batch_size)
    return (attr, delta) if return_convergence_delta else attr


def smoothgrad(model, inputs, target=None, stdevs=1.0, samples=5, abs=True, generator=None):
    """SmoothGrad (Captum's NoiseTunnel over Saliency): saliency averaged over `samples` copies
    with Gaussian noise of standard deviation `stdevs`; generator: None, an int seed or a Generator."""
    return _C.explain.smoothgrad(model, inputs, _targets(target, "smoothgrad"), stdevs, samples, abs, generator)


def occlusion(model, inputs, target=None, sliding_window_shapes=None, strides=None, baseline=None,
              perturbations_per_eval=16):
    """Captum's Occlusion: each window position replaced by the baseline; every element gets the
    mean score drop over the windows covering it. sliding_window_shapes: one entry per input dim
    after N, e.g. (1, 4, 4); strides: an int or a tuple (default 1)."""
    if sliding_window_shapes is None:
        raise _C.Error("occlusion: sliding_window_shapes is required, e.g. (1, 4, 4) for (N, 1, 28, 28) inputs")
    window = list(sliding_window_shapes)
    if strides is None:
        strides = []
    elif isinstance(strides, int):
        strides = [strides] * len(window)
    return _C.explain.occlusion(model, inputs, _targets(target, "occlusion"), window, list(strides), baseline,
                                perturbations_per_eval)


def shapley_values(model, inputs, target=None, feature_mask=None, baseline=None, perturbations_per_eval=64,
                   return_values=False):
    """Exact Shapley values by enumerating the 2^F coalitions of the features (F <= 20). Features:
    the elements of an example, or the groups of feature_mask (int64 ids). Returns attributions
    shaped like inputs; with return_values also (values (N, F), base_values (N,))."""
    attr, values, base = _C.explain.shapley_values(model, inputs, _targets(target, "shapley_values"), feature_mask,
                                                   baseline, perturbations_per_eval)
    return (attr, values, base) if return_values else attr


def kernel_shap(model, inputs, target=None, feature_mask=None, baseline=None, n_samples=0, generator=None,
                perturbations_per_eval=64, return_values=False):
    """KernelSHAP (shap's KernelExplainer without regularization): the Shapley-kernel-weighted fit
    over n_samples coalitions (0: 2F + 2048); exact once every coalition fits in the budget."""
    attr, values, base = _C.explain.kernel_shap(model, inputs, _targets(target, "kernel_shap"), feature_mask, baseline,
                                                n_samples, generator, perturbations_per_eval)
    return (attr, values, base) if return_values else attr


def lime(model, inputs, target=None, feature_mask=None, baseline=None, n_samples=1000, coalitions=None,
         kernel_width=0.25, ridge_alpha=1.0, generator=None, perturbations_per_eval=64, return_surrogate=False):
    """LIME as the `lime` package's image explainer: n_samples random on/off patterns over the
    features (or the given `coalitions`, (samples, F) of 0/1), weighted by sqrt(exp(-d^2 / width^2))
    of their cosine distance to the input, fitted by ridge regression. Returns attributions shaped
    like inputs; with return_surrogate also (coefficients (N, F), intercept (N,), score (N,))."""
    attr, coef, icpt, score = _C.explain.lime(model, inputs, _targets(target, "lime"), feature_mask, baseline,
                                              n_samples, coalitions, kernel_width, ridge_alpha, generator,
                                              perturbations_per_eval)
    return (attr, coef, icpt, score) if return_surrogate else attr
