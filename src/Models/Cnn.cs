using System.Text.Json.Serialization;
using Interp.Nn;

namespace Interp.Models;

/// <summary>
/// The shape of a <see cref="Cnn"/>: conv1 (k×k) → relu → [maxpool 2] → conv2 (k×k) → relu → maxpool 2 → flatten →
/// fc1 → relu → fc2. The default is PyTorch's MNIST example (32/64 channels, one pool, 9216 → 128 → 10).
/// </summary>
public sealed record CnnConfig(
    int InChannels = 1, int ImageSize = 28, int Conv1Channels = 32, int Conv2Channels = 64, int Kernel = 3,
    bool PoolAfterConv1 = false, int Hidden = 128, int Classes = 10, double Dropout1 = 0, double Dropout2 = 0)
{
    /// <summary>PyTorch's examples/mnist network, with its dropout (0.25 after the pool, 0.5 after fc1).</summary>
    public static CnnConfig PyTorchMnist => new(Dropout1: 0.25, Dropout2: 0.5);

    /// <summary>The EIS VII challenge-1 CNN: conv 8 → pool → conv 16 → pool → 400 → 200 → 2.</summary>
    public static CnnConfig Eis7 => new(Conv1Channels: 8, Conv2Channels: 16, PoolAfterConv1: true, Hidden: 200, Classes: 2);

    /// <summary>Side of the feature map after conv2's pool (valid convolutions, floor pooling).</summary>
    [JsonIgnore]
    public int PooledSize
    {
        get
        {
            int s = ImageSize - Kernel + 1;
            if (PoolAfterConv1) s /= 2;
            return (s - Kernel + 1) / 2;
        }
    }

    /// <summary>Inputs of fc1: conv2's channels × the pooled map.</summary>
    [JsonIgnore]
    public int FlatFeatures => Conv2Channels * PooledSize * PooledSize;
}

/// <summary>
/// A small convolutional classifier for square images with PyTorch's parameter names (<c>conv1.weight</c>,
/// <c>conv2.bias</c>, <c>fc1.weight</c>, ...) and init. Every layer's output passes a hook point (see
/// <see cref="HookNames"/>): a function in <see cref="Hooks"/> sees it and may replace it (by returning a tensor).
/// </summary>
public sealed class Cnn : Module
{
    public CnnConfig Config { get; }
    public Conv2d Conv1 { get; }
    public Conv2d Conv2 { get; }
    public Linear Fc1 { get; }
    public Linear Fc2 { get; }

    /// <summary>Forward hooks by hook name: return null to observe, a tensor to replace the activation.</summary>
    public Dictionary<string, Func<Tensor, Tensor?>> Hooks { get; } = [];

    readonly Generator? dropoutGen;

    /// <param name="gen">draws the initial weights and, when training with dropout, the dropout masks</param>
    public Cnn(CnnConfig? config = null, Generator? gen = null, DType dtype = DType.Float32)
    {
        Config = config ??= new CnnConfig();
        if (config.PooledSize <= 0)
            throw new ArgumentException($"cnn: a {config.ImageSize}x{config.ImageSize} image is too small for two {config.Kernel}x{config.Kernel} convolutions and the pooling");
        dropoutGen = gen;
        Conv1 = RegisterModule("conv1", new Conv2d(config.InChannels, config.Conv1Channels, config.Kernel, gen: gen, dtype: dtype));
        Conv2 = RegisterModule("conv2", new Conv2d(config.Conv1Channels, config.Conv2Channels, config.Kernel, gen: gen, dtype: dtype));
        Fc1 = RegisterModule("fc1", new Linear(config.FlatFeatures, config.Hidden, gen: gen, dtype: dtype));
        Fc2 = RegisterModule("fc2", new Linear(config.Hidden, config.Classes, gen: gen, dtype: dtype));
    }

    /// <summary>The hook points in forward order.</summary>
    public IReadOnlyList<string> HookNames =>
        Config.PoolAfterConv1
            ? ["hook_conv1", "hook_relu1", "hook_pool1", "hook_conv2", "hook_relu2", "hook_pool", "hook_fc1", "hook_relu3", "hook_logits"]
            : ["hook_conv1", "hook_relu1", "hook_conv2", "hook_relu2", "hook_pool", "hook_fc1", "hook_relu3", "hook_logits"];

    /// <summary>[N, C, S, S] (or [N, S, S] / [N, S·S] for one channel) → logits [N, classes].</summary>
    public Tensor Forward(Tensor x)
    {
        x = AsImages(x);
        x = Hook("hook_conv1", Conv1.Forward(x));
        x = Config.PoolAfterConv1 ? ReluThenPool(x, "hook_relu1", "hook_pool1") : Hook("hook_relu1", x.Relu());
        x = Hook("hook_conv2", Conv2.Forward(x));
        x = ReluThenPool(x, "hook_relu2", "hook_pool");
        x = x.Dropout(Config.Dropout1, Training, dropoutGen).Flatten(1);
        x = Hook("hook_fc1", Fc1.Forward(x));
        x = Hook("hook_relu3", x.Relu());
        x = x.Dropout(Config.Dropout2, Training, dropoutGen);
        return Hook("hook_logits", Fc2.Forward(x));
    }

    /// <summary>The logits and every hook point's activation (in addition to any hooks already set).</summary>
    public (Tensor Logits, Dictionary<string, Tensor> Cache) RunWithCache(Tensor x)
    {
        var cache = new Dictionary<string, Tensor>();
        var saved = new Dictionary<string, Func<Tensor, Tensor?>>(Hooks);
        try
        {
            foreach (var name in HookNames)
            {
                var inner = saved.GetValueOrDefault(name);
                Hooks[name] = a =>
                {
                    var r = inner?.Invoke(a) ?? a;
                    cache[name] = r;
                    return r;
                };
            }
            return (Forward(x), cache);
        }
        finally
        {
            Hooks.Clear();
            foreach (var kv in saved) Hooks[kv.Key] = kv.Value;
        }
    }

    /// <summary>
    /// maxpool(relu(x)) with its two hook points. Max pooling commutes with ReLU (both monotone, and the pool's first
    /// maximum of relu(x) is that of x wherever the gradient is not zero), so when no hook observes the ReLU's output
    /// it runs on the pooled map, a quarter of the elements, forward and backward, with the same values and gradients.
    /// </summary>
    Tensor ReluThenPool(Tensor x, string relu, string pool) =>
        Hooks.ContainsKey(relu)
            ? Hook(pool, Hook(relu, x.Relu()).MaxPool2d(2))
            : Hook(pool, x.MaxPool2d(2).Relu());

    Tensor Hook(string name, Tensor x) => Hooks.TryGetValue(name, out var f) && f(x) is { } replaced ? replaced : x;

    Tensor AsImages(Tensor x)
    {
        int c = Config.InChannels, s = Config.ImageSize;
        if (x.Rank == 4 && x.Size(1) == c && x.Size(2) == s && x.Size(3) == s) return x;
        if (c == 1 && x.Rank == 3 && x.Size(1) == s && x.Size(2) == s) return x.Unsqueeze(1);
        if (c == 1 && x.Rank == 2 && x.Size(1) == s * s) return x.Reshape(x.Size(0), 1, s, s);
        throw new ArgumentException($"cnn: expected images [N, {c}, {s}, {s}], got {ShapeUtil.Format(x.ShapeArray)}");
    }
}
