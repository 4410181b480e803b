#!/usr/bin/env python3
"""Loads a smallnet model file (Sequential::save) into PyTorch, and checks it predicts as smallnet does.

What it is for: a second, independent implementation of every layer smallnet saves. If PyTorch,
given the file's architecture and weights, gives the outputs smallnet's predict gave, then the file
holds everything a reader needs, and smallnet's layers compute what their Keras namesakes compute
(layouts, 'same' padding, nearest up-sampling). It also shows how to use a smallnet model in PyTorch.

    import torch_load_model
    model = torch_load_model.load_model("autoencoder.safetensors")  # a torch.nn.Sequential, in eval mode
    codes = model.encoder(torch.rand(10, 784))                      # nested models keep their names

The model takes and returns channels-last tensors ([N, H, W, C], as smallnet and Keras), whatever
PyTorch's own layout: convolution and pooling layers permute to [N, C, H, W] and back.

Command line (Debian: apt-get install python3-torch python3-numpy; run with /usr/bin/python3 if
another python3 comes first in PATH):

    python3 tools/torch_load_model.py MODEL.safetensors --input X.npy --expected Y.npy \\
        [--part encoder] [--tolerance 1e-5]

prints the largest absolute difference between PyTorch's output on X and Y (smallnet's
model.predict(X), saved with save_npy), and exits 0 if it is within the tolerance, 1 if not, 2 if
the file cannot be read (an unknown layer type, a newer format version). Importing torch takes
seconds, so several checks may share one run, separated by `--and`:

    python3 tools/torch_load_model.py A.safetensors --input X.npy --expected Y.npy \\
        --and A.safetensors --part encoder --input X.npy --expected codes.npy
"""

import argparse
import json
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# The newest model-file format this reader knows (smallnet's model_file_format_version).
FORMAT_VERSION = 1
METADATA_KEY = "smallnet_model"


class ModelFileError(Exception):
    """A file this reader cannot turn into a model: the message says which part and why."""


# ---- The file: safetensors (8-byte little-endian header length, JSON header, raw tensor bytes)


def read_safetensors(path):
    """Returns ({name: float32 numpy array}, metadata dict) of a safetensors file."""
    with open(path, "rb") as file:
        raw = file.read()
    if len(raw) < 8:
        raise ModelFileError(f"{path}: too short for a safetensors file")
    (header_length,) = struct.unpack("<Q", raw[:8])
    if 8 + header_length > len(raw):
        raise ModelFileError(f"{path}: the header length {header_length} runs past the end of the file")
    header = json.loads(raw[8 : 8 + header_length])
    data = raw[8 + header_length :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ModelFileError(f"{path}: tensor '{name}' is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4")
        tensors[name] = array.reshape(entry["shape"]).copy()
    return tensors, metadata


def pair(values):
    """A config's [height, width] as a tuple of ints."""
    return tuple(int(v) for v in values)


# ---- Padding as Keras and TensorFlow do it (smallnet's tensor/conv.cpp plan_axis)


def same_padding(size, kernel, stride):
    """(before, after) for 'same': ceil(size / stride) outputs, the odd pixel padded after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class KerasPad(nn.Module):
    """Pads [N, C, H, W] as 'same' does for this kernel and stride; PyTorch's padding='same' is
    symmetric and refuses strides > 1, and its max pooling pads at most half the pool."""

    def __init__(self, kernel, stride, value=0.0):
        super().__init__()
        self.kernel, self.stride, self.value = kernel, stride, value

    def forward(self, x):
        top, bottom = same_padding(x.shape[2], self.kernel[0], self.stride[0])
        left, right = same_padding(x.shape[3], self.kernel[1], self.stride[1])
        return F.pad(x, (left, right, top, bottom), value=self.value)


class ChannelsLast(nn.Module):
    """Runs a PyTorch image layer ([N, C, H, W]) on channels-last tensors ([N, H, W, C])."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class KerasConvTranspose2d(nn.Module):
    """Keras' Conv2DTranspose on [N, C, H, W]: the full transposed convolution, cropped (or, for
    a kernel smaller than the stride, padded) to Keras' output size, then the bias; it crops the
    first pixels that 'same' padding of the matching convolution would have added."""

    def __init__(self, in_channels, filters, kernel, stride, padding, use_bias):
        super().__init__()
        self.convolution = nn.ConvTranspose2d(in_channels, filters, kernel, stride, bias=False)
        self.bias = nn.Parameter(torch.zeros(filters)) if use_bias else None
        self.kernel, self.stride, self.padding = kernel, stride, padding

    def crop(self, full, size, kernel, stride):
        """(cut before, pad after) taking `full` pixels to Keras' output size on one axis."""
        if self.padding == "same":
            wanted, before = size * stride, same_padding(size * stride, kernel, stride)[0]
        else:
            wanted, before = size * stride + max(kernel - stride, 0), 0
        return -before, wanted - (full - before)

    def forward(self, x):
        full = self.convolution(x)
        top, bottom = self.crop(full.shape[2], x.shape[2], self.kernel[0], self.stride[0])
        left, right = self.crop(full.shape[3], x.shape[3], self.kernel[1], self.stride[1])
        y = F.pad(full, (left, right, top, bottom))  # negative amounts crop
        return y if self.bias is None else y + self.bias.view(1, -1, 1, 1)


class Reshape(nn.Module):
    """Keras' Reshape: each sample to target_shape (one -1 allowed), the batch axis kept."""

    def __init__(self, target_shape):
        super().__init__()
        self.target_shape = tuple(target_shape)

    def forward(self, x):
        return x.reshape((x.shape[0],) + self.target_shape)


class SamplingMean(nn.Module):
    """smallnet's Sampling in inference: z_mean (its z_log_var head is loaded but unused)."""

    def __init__(self, z_mean, z_log_var):
        super().__init__()
        self.z_mean, self.z_log_var = z_mean, z_log_var

    def forward(self, x):
        return self.z_mean(x)


# ---- One function per layer type: (config, input shape without the batch, weights) -> (module,
# output shape). `weights(name)` takes the layer's tensor `name` ("kernel", "z_mean.bias") from the file.


def activation(config, where):
    name = config.get("activation", "linear")
    slope = config.get("negative_slope", 0.3)  # Keras' default (PyTorch's is 0.01)
    modules = {
        "linear": nn.Identity,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(slope),
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        # PyTorch returns x itself above 20, where smallnet's log(1 + exp(x)) is within 3e-9 of it
        "softplus": nn.Softplus,
        "softmax": lambda: nn.Softmax(dim=-1),  # the last axis, as Keras: the channels of an image
    }
    if name not in modules:
        raise ModelFileError(f"{where}: unknown activation '{name}' (known: {', '.join(modules)})")
    return modules[name]()


def set_parameter(parameter, value, where):
    if tuple(parameter.shape) != value.shape:
        wanted = list(parameter.shape)
        raise ModelFileError(f"{where}: a tensor of shape {list(value.shape)} where PyTorch wants {wanted}")
    with torch.no_grad():
        parameter.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def linear(in_features, units, use_bias, weights, prefix, where):
    layer = nn.Linear(in_features, units, bias=use_bias)
    set_parameter(layer.weight, weights(prefix + "kernel").T, where)  # smallnet [in, out], PyTorch [out, in]
    if use_bias:
        set_parameter(layer.bias, weights(prefix + "bias"), where)
    return layer


def dense(config, shape, weights, where):
    units = int(config["units"])
    layer = linear(shape[-1], units, config.get("use_bias", True), weights, "", where)
    return nn.Sequential(OrderedDict(linear=layer, activation=activation(config, where))), shape[:-1] + [units]


def conv2d(config, shape, weights, where):
    height, width, channels = shape
    filters = int(config["filters"])
    kernel, stride = pair(config["kernel_size"]), pair(config["strides"])
    use_bias = config.get("use_bias", True)
    convolution = nn.Conv2d(channels, filters, kernel, stride, bias=use_bias)
    # smallnet [kh, kw, in, filters], PyTorch [filters, in, kh, kw]
    set_parameter(convolution.weight, weights("kernel").transpose(3, 2, 0, 1), where)
    if use_bias:
        set_parameter(convolution.bias, weights("bias"), where)
    if config["padding"] == "same":
        image_layer = nn.Sequential(OrderedDict(pad=KerasPad(kernel, stride), conv=convolution))
        out = [-(-height // stride[0]), -(-width // stride[1])]
    else:
        image_layer = convolution
        out = [(height - kernel[0]) // stride[0] + 1, (width - kernel[1]) // stride[1] + 1]
    module = nn.Sequential(OrderedDict(conv=ChannelsLast(image_layer), activation=activation(config, where)))
    return module, out + [filters]


def conv2d_transpose(config, shape, weights, where):
    height, width, channels = shape
    filters = int(config["filters"])
    kernel, stride = pair(config["kernel_size"]), pair(config["strides"])
    use_bias = config.get("use_bias", True)
    convolution = KerasConvTranspose2d(channels, filters, kernel, stride, config["padding"], use_bias)
    # smallnet [kh, kw, filters, in] (the matching convolution's kernel), PyTorch [in, filters, kh, kw]
    set_parameter(convolution.convolution.weight, weights("kernel").transpose(3, 2, 0, 1), where)
    if use_bias:
        set_parameter(convolution.bias, weights("bias"), where)
    extra = [0, 0] if config["padding"] == "same" else [max(kernel[0] - stride[0], 0), max(kernel[1] - stride[1], 0)]
    out = [height * stride[0] + extra[0], width * stride[1] + extra[1], filters]
    return nn.Sequential(OrderedDict(conv=ChannelsLast(convolution), activation=activation(config, where))), out


def max_pooling2d(config, shape, weights, where):
    height, width, channels = shape
    pool, stride = pair(config["pool_size"]), pair(config["strides"])
    pooling = nn.MaxPool2d(pool, stride)
    if config["padding"] == "same":
        # -inf padding: smallnet's windows count only pixels inside the image
        image_layer = nn.Sequential(OrderedDict(pad=KerasPad(pool, stride, float("-inf")), pool=pooling))
        out = [-(-height // stride[0]), -(-width // stride[1])]
    else:
        image_layer = pooling
        out = [(height - pool[0]) // stride[0] + 1, (width - pool[1]) // stride[1] + 1]
    return ChannelsLast(image_layer), out + [channels]


def up_sampling2d(config, shape, weights, where):
    size = pair(config["size"])
    nearest = nn.Upsample(scale_factor=tuple(float(s) for s in size), mode="nearest")
    return ChannelsLast(nearest), [shape[0] * size[0], shape[1] * size[1], shape[2]]


def flatten(config, shape, weights, where):
    return nn.Flatten(), [int(np.prod(shape))]  # channels-last: H, W, C in that order, as Keras


def reshape(config, shape, weights, where):
    target = [int(d) for d in config["target_shape"]]
    if -1 in target:
        known = -int(np.prod(target))
        target[target.index(-1)] = int(np.prod(shape)) // known
    return Reshape(target), target


def activation_layer(config, shape, weights, where):
    return activation(config, where), shape


def identity_in_inference(config, shape, weights, where):
    """Dropout, GaussianNoise, SaltAndPepper: they change only training batches."""
    return nn.Identity(), shape


def sampling(config, shape, weights, where):
    latent = int(config["latent_dim"])
    heads = [linear(shape[-1], latent, True, weights, head + ".", where) for head in ("z_mean", "z_log_var")]
    return SamplingMean(*heads), [latent]


LAYER_BUILDERS = {
    "Dense": dense,
    "Conv2D": conv2d,
    "Conv2DTranspose": conv2d_transpose,
    "MaxPooling2D": max_pooling2d,
    "UpSampling2D": up_sampling2d,
    "Flatten": flatten,
    "Reshape": reshape,
    "Activation": activation_layer,
    "Dropout": identity_in_inference,
    "GaussianNoise": identity_in_inference,
    "SaltAndPepper": identity_in_inference,
    "Sampling": sampling,
}


# ---- Sequentials: children named as smallnet names them (and its tensors): a named nested model
# by its name, any other layer by its position among the layers that are not Input.


def sequential(config, shape, tensors, prefix):
    """(torch.nn.Sequential, output shape) of a Sequential's config; `prefix` names its tensors."""
    children = OrderedDict()
    position = 0
    for child in config.get("children", []):
        kind, fields = child["class_name"], child.get("config", {})
        if kind == "InputLayer":
            shape = [int(d) for d in fields["shape"]]
            continue
        name = fields.get("name") if kind == "Sequential" and fields.get("name") else str(position)
        position += 1
        path = prefix + name
        where = f"layer '{path}' ({kind})"
        if shape is None:
            raise ModelFileError(f"{where}: the model has no input shape (neither an Input layer nor 'input_shape')")
        if kind == "Sequential":
            module, shape = sequential(child, nested_input(child, shape), tensors, path + ".")
        elif kind in LAYER_BUILDERS:
            weights = lambda tensor, path=path, where=where: take(tensors, f"{path}.{tensor}", where)
            module, shape = LAYER_BUILDERS[kind](fields, list(shape), weights, where)
        else:
            known = ", ".join(sorted(list(LAYER_BUILDERS) + ["InputLayer", "Sequential"]))
            raise ModelFileError(f"{where}: unknown layer type '{kind}' (this reader knows {known})")
        children[name] = module
    return nn.Sequential(children), shape


def nested_input(config, shape):
    declared = config.get("config", {}).get("input_shape")
    return [int(d) for d in declared] if declared else shape


def take(tensors, name, where):
    if name not in tensors:
        raise ModelFileError(f"{where}: the file has no tensor '{name}'")
    return tensors.pop(name)


def load_model(path):
    """The model saved at `path` as a torch.nn.Sequential in eval mode, taking and returning
    channels-last float32 tensors. Raises ModelFileError for what it cannot read."""
    tensors, metadata = read_safetensors(path)
    if METADATA_KEY not in metadata:
        raise ModelFileError(f"{path}: not a whole-model file (its metadata has no '{METADATA_KEY}'; a weights file?)")
    document = json.loads(metadata[METADATA_KEY])
    version = document.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: format_version must be a whole number >= 1, got {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format version {version} by a newer smallnet; "
            f"this reader knows versions up to {FORMAT_VERSION}"
        )
    config = document["model"]
    if config.get("class_name") != "Sequential":
        raise ModelFileError(f"{path}: the model is a '{config.get('class_name')}', not a Sequential")
    weights = {name: t for name, t in tensors.items() if not name.startswith("optimizer.")}
    try:
        model, _ = sequential(config, nested_input(config, None), weights, "")
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: a layer's config does not fit: {error!r}") from error
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error}") from error
    if weights:
        raise ModelFileError(f"{path}: tensors no layer uses: {', '.join(sorted(weights))}")
    return model.eval()


# ---- Command line


def parse_check(arguments):
    parser = argparse.ArgumentParser(
        prog="torch_load_model.py",
        description="Checks that PyTorch, given a smallnet model file, predicts what smallnet predicted.",
        epilog="Several checks in one run: separate them with --and.",
    )
    parser.add_argument("model", help="a file written by Sequential::save")
    parser.add_argument("--input", required=True, help="a .npy float32 array of samples (channels-last images)")
    parser.add_argument("--expected", required=True, help="a .npy of smallnet's predict on them")
    parser.add_argument("--part", help="a nested model or layer by its name, e.g. encoder or decoder.0")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest absolute difference allowed (1e-5)")
    return parser.parse_args(arguments)


def split_checks(arguments):
    checks, current = [], []
    for argument in arguments:
        if argument == "--and":
            checks.append(current)
            current = []
        else:
            current.append(argument)
    return checks + [current]


def run_check(check, models):
    """Prints the largest difference; True if within the tolerance."""
    if check.model not in models:
        models[check.model] = load_model(check.model)
    model = models[check.model]
    label = check.model + (f" --part {check.part}" if check.part else "")
    if check.part:
        try:
            model = model.get_submodule(check.part)
        except AttributeError as error:
            raise ModelFileError(f"{check.model}: no part '{check.part}': {error}") from error
    x = torch.from_numpy(np.load(check.input).astype(np.float32))
    expected = np.load(check.expected)
    with torch.no_grad():
        try:
            actual = model(x).numpy()
        except RuntimeError as error:  # PyTorch's word for inputs of the wrong shape
            shape = list(x.shape)
            raise ModelFileError(f"{label}: PyTorch cannot run it on {check.input} (shape {shape}): {error}") from error
    if actual.shape != expected.shape:
        print(f"{label}: PyTorch gives shape {list(actual.shape)}, {check.expected} holds {list(expected.shape)}")
        return False
    difference = float(np.max(np.abs(actual.astype(np.float64) - expected))) if actual.size else 0.0
    within = difference <= check.tolerance  # False for NaN
    verdict = "within" if within else "NOT within"
    print(f"{label}: largest absolute difference {difference:.3g} ({verdict} the tolerance {check.tolerance:g})")
    return within


def main(arguments):
    torch.set_num_threads(1)  # a check, not a benchmark: leave a shared machine's other cores alone
    checks = [parse_check(check) for check in split_checks(arguments)]
    models = {}
    try:
        results = [run_check(check, models) for check in checks]
    except (ModelFileError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not all(results):
        failed = results.count(False)
        print(f"{failed} of {len(results)} checks: PyTorch's output differs from smallnet's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
