using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Patching;

/// <summary>
/// What every patching tool starts from: the checked token pair, which of them is the base run and which the source of
/// the patched activations (after the <see cref="PatchDirection"/>), and the metric.
/// </summary>
internal sealed class PatchRun
{
    public HookedTransformer Model { get; }
    public Tensor Clean { get; }
    public Tensor Corrupted { get; }
    public PatchDirection Direction { get; }
    public Func<Tensor, Tensor> Metric { get; }
    public Tensor BaseTokens => Direction == PatchDirection.Denoising ? Corrupted : Clean;
    public Tensor SourceTokens => Direction == PatchDirection.Denoising ? Clean : Corrupted;
    public int Layers => Model.Config.NLayers;
    public int Heads => Model.Config.NHeads;
    public int Positions => Clean.Size(1);

    public PatchRun(string op, HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric, PatchDirection direction)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(corrupted);
        ArgumentNullException.ThrowIfNull(metric);
        if (!Enum.IsDefined(direction)) throw new ArgumentException($"{op}: unknown direction {direction}");
        clean = AsBatch(op, "clean", clean);
        corrupted = AsBatch(op, "corrupted", corrupted);
        if (!ShapeUtil.SameShape(clean.ShapeArray, corrupted.ShapeArray))
            throw new ArgumentException($"{op}: clean tokens {ShapeUtil.Format(clean.ShapeArray)} and corrupted tokens {ShapeUtil.Format(corrupted.ShapeArray)} must have the same [batch, pos] shape");
        var device = ModelDevice(model);   // the tokens go where the model is; results come back as tensors there or on the CPU
        (Model, Clean, Corrupted, Metric, Direction, this.op) = (model, clean.To(device), corrupted.To(device), metric, direction, op);
    }

    readonly string op;

    public static Device ModelDevice(HookedTransformer model) => model.Device;

    static Tensor AsBatch(string op, string what, Tensor tokens)
    {
        if (tokens.DType != DType.Int32 || tokens.Rank is < 1 or > 2 || tokens.Numel == 0)
            throw new ArgumentException($"{op}: {what} tokens must be a non-empty int32 [batch, pos] (or [pos]) tensor, got {tokens.DType.Name()} {ShapeUtil.Format(tokens.ShapeArray)}");
        return tokens.Rank == 1 ? tokens.Unsqueeze(0) : tokens;
    }

    /// <summary>The metric's value as a number, with a clear error when it is not a scalar.</summary>
    public double Score(Tensor logits) => CheckScalar(Metric(logits)).Item();

    public Tensor CheckScalar(Tensor value)
    {
        if (value is null || value.Numel != 1)
            throw new ArgumentException($"{op}: the metric must return a scalar tensor, got {(value is null ? "null" : ShapeUtil.Format(value.ShapeArray))}");
        return value;
    }

    /// <summary>Activations of the source run at the named hooks (no grad).</summary>
    public ActivationCache SourceCache(Func<string, bool> names)
    {
        using var _ = GradMode.NoGrad();
        return Model.RunWithCache(SourceTokens, names).Cache;
    }

    /// <summary>The metric of the base run with the given forward hooks (no grad).</summary>
    public double ScoreWith(IEnumerable<(HookFilter, ForwardHook)> hooks)
    {
        using var _ = GradMode.NoGrad();
        return Score(Model.RunWithHooks(BaseTokens, hooks));
    }

    public void CheckHook(string name)
    {
        if (!Model.HookPoints.ContainsKey(name))
            throw new ArgumentException($"{op}: this model has no hook point '{name}'" +
                (name.EndsWith("hook_mlp_out") ? " (it is attention-only)" : name.EndsWith("hook_result") ? " (its config has UseAttnResult off; patch hook_z instead)" : ""));
    }

    public void CheckLayer(int layer)
    {
        if (layer < 0 || layer >= Layers) throw new ArgumentException($"{op}: layer {layer} is outside [0, {Layers})");
    }

    public void CheckHead(int layer, int head)
    {
        CheckLayer(layer);
        if (head < 0 || head >= Heads) throw new ArgumentException($"{op}: head {head} of layer {layer} is outside [0, {Heads})");
    }

    /// <summary>An int32 mask of <paramref name="shape"/> with ones at the given coordinates (for Tensor.Where).</summary>
    public static Tensor Mask(int[] shape, IEnumerable<int[]> ones)
    {
        var data = new int[ShapeUtil.Numel(shape)];
        var strides = ShapeUtil.ContiguousStrides(shape);
        foreach (var at in ones)
        {
            int offset = 0;
            for (int d = 0; d < shape.Length; d++) offset += at[d] * strides[d];
            data[offset] = 1;
        }
        return Tensor.FromArray(data, shape);
    }

    /// <summary>A forward hook replacing the activation by <paramref name="source"/> where mask ≠ 0.</summary>
    public static ForwardHook Replace(Tensor source, Tensor? mask) =>
        (act, _) => mask is null ? source : Tensor.Where(mask.To(act.Device), source, act);
}
