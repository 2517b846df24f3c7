"""ember's op functions and Tensor methods against PyTorch's values and gradients (golden files)."""
import pytest

import ember
from conftest import assert_close, load_golden, to_ember

E = ember
INF = {"inf": float("inf"), "-inf": float("-inf")}


def dims(kw, default=None):
    return tuple(kw["dims"]) if "dims" in kw else default


def cat_flat(pieces):
    return E.cat([p.reshape(-1) for p in pieces])


def tr(x, flag):
    return x.transpose(-1, -2) if flag else x


# golden op name -> fn(inputs, kwargs), as a Python user would write it
OPS = {
    # elementwise
    "add": lambda x, k: E.add(x[0], x[1], alpha=k["alpha"]) if "alpha" in k else x[0] + x[1],
    "sub": lambda x, k: x[0] - x[1],
    "mul": lambda x, k: x[0] * x[1],
    "div": lambda x, k: x[0] / x[1],
    "pow": lambda x, k: E.pow(x[0], x[1]),
    "pow_scalar": lambda x, k: x[0] ** k["exponent"],
    "maximum": lambda x, k: E.maximum(x[0], x[1]),
    "minimum": lambda x, k: x[0].minimum(x[1]),
    "mul_scalar": lambda x, k: x[0] * k["value"],
    "rsub_scalar": lambda x, k: k["value"] - x[0],
    "leaky_relu": lambda x, k: E._C.leaky_relu(x[0], k["negative_slope"]),
    "gelu": lambda x, k: E._C.gelu(x[0], approximate=k.get("approximate", "none")),
    "silu": lambda x, k: E._C.silu(x[0]),
    "clamp": lambda x, k: x[0].clamp(min=k.get("min"), max=k.get("max")),
    "where": lambda x, k: E.where(x[0], x[1], x[2]),
    "eq": lambda x, k: x[0] == x[1],
    "lt": lambda x, k: E.lt(x[0], x[1]),
    "ge": lambda x, k: x[0].ge(x[1]),
    "masked_fill": lambda x, k: x[0].masked_fill(x[1], k["value"]),
    # reductions
    "var": lambda x, k: E.var(x[0], dim=dims(k), correction=k.get("correction", 1), keepdim=k.get("keepdim", False)),
    "std": lambda x, k: x[0].std(dim=dims(k), correction=k.get("correction", 1), keepdim=k.get("keepdim", False)),
    "amax": lambda x, k: E.amax(x[0], dim=dims(k, ()), keepdim=k.get("keepdim", False)),
    "amin": lambda x, k: x[0].amin(dims(k, ())),
    "max_all": lambda x, k: x[0].max(),
    "min_all": lambda x, k: E.min(x[0]),
    "max_dim_values": lambda x, k: E.max(x[0], k["dim"], keepdim=k.get("keepdim", False)).values,
    "max_dim_indices": lambda x, k: x[0].max(dim=k["dim"], keepdim=k.get("keepdim", False))[1],
    "min_dim_values": lambda x, k: x[0].min(k["dim"], k.get("keepdim", False))[0],
    "min_dim_indices": lambda x, k: E.min(x[0], dim=k["dim"], keepdim=k.get("keepdim", False)).indices,
    "argmax": lambda x, k: E.argmax(x[0], dim=k.get("dim"), keepdim=k.get("keepdim", False)),
    "argmin": lambda x, k: x[0].argmin(k.get("dim")),
    "logsumexp": lambda x, k: E.logsumexp(x[0], dim=dims(k), keepdim=k.get("keepdim", False)),
    "norm": lambda x, k: E.norm(x[0], p=INF.get(k.get("p"), k.get("p", 2)), dim=dims(k), keepdim=k.get("keepdim", False)),
    "prod": lambda x, k: x[0].prod(k.get("dim"), keepdim=k.get("keepdim", False)),
    "cumsum": lambda x, k: E.cumsum(x[0], k["dim"]),
    "any": lambda x, k: E.any(x[0]),
    "all": lambda x, k: x[0].all(),
    "sum_dims": lambda x, k: x[0].sum(dim=dims(k)),
    "softmax": lambda x, k: E.softmax(x[0], k["dim"]),
    "log_softmax": lambda x, k: x[0].log_softmax(dim=k["dim"]),
    # shape
    "cat": lambda x, k: E.cat(x, dim=k.get("dim", 0)),
    "stack": lambda x, k: E.stack(x, k.get("dim", 0)),
    "split": lambda x, k: cat_flat(x[0].split(k["split_size"], dim=k["dim"])),
    "split_with_sizes": lambda x, k: cat_flat(E.split(x[0], k["sizes"], k["dim"])),
    "chunk": lambda x, k: cat_flat(E.chunk(x[0], k["chunks"], k["dim"])),
    "unbind": lambda x, k: cat_flat(x[0].unbind(k["dim"])),
    "index_select": lambda x, k: E.index_select(x[0], k["dim"], x[1]),
    "gather": lambda x, k: x[0].gather(k["dim"], x[1]),
    "scatter_add": lambda x, k: E.scatter_add(x[0], k["dim"], x[1], x[2]),
    "tril": lambda x, k: E.tril(x[0], k.get("diagonal", 0)),
    "triu": lambda x, k: x[0].triu(diagonal=k.get("diagonal", 0)),
    # linear algebra
    "mm": lambda x, k: E.mm(x[0], x[1]),
    "mm_t": lambda x, k: tr(x[0], k.get("ta")).mm(tr(x[1], k.get("tb"))),
    "bmm": lambda x, k: E.bmm(x[0], x[1]),
    "bmm_t": lambda x, k: E.bmm(x[0], tr(x[1], k.get("tb"))),
    "dot": lambda x, k: x[0].dot(x[1]),
    "matmul": lambda x, k: x[0] @ x[1],
    "matmul_t": lambda x, k: E.matmul(x[0], tr(x[1], k.get("tb"))),
    "matmul_method": lambda x, k: x[0].matmul(x[1]),
    "linear": lambda x, k: E._C.linear(*x),
    "addmm": lambda x, k: E.addmm(*x, beta=k.get("beta", 1), alpha=k.get("alpha", 1)),
    # views
    "view": lambda x, k: x[0].view(*k["shape"]) if k["shape"] else x[0].view(()),
    "reshape": lambda x, k: E.reshape(x[0], k["shape"]),
    "reshape_t": lambda x, k: x[0].t().reshape(*k["shape"]),
    "transpose": lambda x, k: x[0].transpose(k["dim0"], k["dim1"]),
    "t": lambda x, k: E.t(x[0]),
    "permute": lambda x, k: x[0].permute(*k["dims"]),
    "narrow": lambda x, k: E.narrow(x[0], k["dim"], k["start"], k["length"]),
    "slice": lambda x, k: x[0][(slice(None),) * (k["dim"] % x[0].dim()) + (slice(k["start"], k["end"], k["step"]),)],
    "select": lambda x, k: x[0].select(k["dim"], k["index"]),
    "expand": lambda x, k: x[0].expand(*k["shape"]),
    "squeeze": lambda x, k: E.squeeze(x[0]),
    "squeeze_dim": lambda x, k: x[0].squeeze(k["dim"]),
    "unsqueeze": lambda x, k: x[0].unsqueeze(k["dim"]),
    "flatten": lambda x, k: x[0].flatten(k.get("start_dim", 0), k.get("end_dim", -1)),
    "unflatten": lambda x, k: E.unflatten(x[0], k["dim"], tuple(k["sizes"])),
    "contiguous_t": lambda x, k: x[0].t().contiguous(),
    "chain": lambda x, k: x[0].permute(1, 0, 2)[1:, 0].unsqueeze(0).expand(2, 2, 4),
}
UNARY = ["neg", "exp", "log", "log1p", "sqrt", "rsqrt", "erf", "square", "abs", "sin", "cos", "tanh", "sigmoid", "relu"]
for _name in UNARY:  # both spellings: ember.exp(x) and x.exp()
    OPS[_name] = (lambda n: lambda x, k: getattr(E, n)(x[0]) if x[0].dim() % 2 else getattr(x[0], n)())(_name)


def creation(case):
    k, op = case["kwargs"], case["op"]
    dt = {"dtype": getattr(E, k["dtype"])} if "dtype" in k else {}
    if op == "arange":
        return E.arange(*k["args"], **dt)
    if op == "linspace":
        return E.linspace(k["start"], k["end"], k["steps"], **dt)
    if op == "eye":
        return E.eye(k["n"], k.get("m"), **dt)
    if op == "full":
        return E.full(tuple(k["shape"]), k["value"], **dt)
    return getattr(E, op)(*k["shape"], **dt) if k["shape"] else getattr(E, op)((), **dt)


FAMILIES = ["elementwise", "reduce", "shape", "linalg", "views"]
CASES = [pytest.param(f, c, id=f"{f}-{c['name']}") for f in FAMILIES for c in load_golden(f)]


@pytest.mark.parametrize("family,case", CASES)
def test_golden(family, case):
    fn = OPS.get(case["op"])
    if fn is None:
        pytest.skip(f"no Python spelling for golden op {case['op']}")
    inputs = [to_ember(x) for x in case["inputs"]]
    out = fn(inputs, case["kwargs"])
    assert_close(out, case["output"], case["rtol"], case["atol"])
    if "grads" in case and out.requires_grad:
        out.backward(to_ember(case["grad_output"], requires_grad=False))
        for i, (x, g) in enumerate(zip(inputs, case["grads"])):
            if g is not None:
                assert x.grad is not None, f"input {i} got no gradient"
                assert_close(x.grad, g, max(case["rtol"], 1e-4), max(case["atol"], 1e-5), what=f"grad of input {i}")


@pytest.mark.parametrize("case", load_golden("creation"), ids=lambda c: c["name"])
def test_golden_creation(case):
    assert_close(creation(case), case["output"], case["rtol"], max(case["atol"], 1e-7))


def test_golden_coverage():
    ops = {c["op"] for f in FAMILIES for c in load_golden(f)}
    assert ops <= set(OPS), f"golden ops without a Python spelling: {sorted(ops - set(OPS))}"
