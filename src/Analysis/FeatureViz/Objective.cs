namespace Interp.Analysis.FeatureViz;

/// <summary>
/// A model's activations by layer name for one forward pass; <c>"input"</c> is the image batch itself
/// (so regularisers such as <see cref="Objective.TotalVariation"/> are objectives too).
/// </summary>
public delegate Tensor Activations(string layer);

/// <summary>
/// A scalar to maximise, computed from a forward pass's <see cref="Activations"/> — Lucid's objectives. They compose:
/// <c>Objective.Channel("conv2", 3) - 0.05 * Objective.TotalVariation()</c>, or a sum of per-image objectives so one
/// batch renders many channels at once. Convolutional activations are [N, C, H, W], dense ones [N, F].
/// </summary>
public sealed class Objective(string description, Func<Activations, Tensor> value)
{
    /// <summary>What it computes, e.g. <c>channel(conv2, 3, image 0) - 0.05·tv(input)</c>.</summary>
    public string Description { get; } = description;

    /// <summary>The objective's value (a 0-d tensor, differentiable) on one forward pass.</summary>
    public Tensor Evaluate(Activations activations) => value(activations);

    public override string ToString() => Description;

    /// <summary>Mean activation of channel (or feature) <paramref name="channel"/>, over the batch or only image <paramref name="batch"/>.</summary>
    public static Objective Channel(string layer, int channel, int? batch = null) =>
        new($"channel({layer}, {channel}{At(batch)})", t => ChannelOf(t(layer), layer, channel, batch).Mean());

    /// <summary>
    /// A logit's margin: a[n, k] − mean_{j≠k} a[n, j] of a dense layer [N, K] (the logits), averaged over the batch or
    /// only image <paramref name="batch"/>. Unlike the raw logit it cannot grow by raising every logit together.
    /// </summary>
    public static Objective Margin(string layer, int k, int? batch = null) =>
        new($"margin({layer}, {k}{At(batch)})", t =>
        {
            var a = Pick(t(layer), layer, batch);
            if (a.Rank != 2 || a.Size(1) < 2) throw new ArgumentException($"objective margin: {layer} must be [N, K] with K ≥ 2, got {ShapeUtil.Format(a.ShapeArray)}");
            var own = ChannelOf(a, layer, k, null);
            return (own - (a.Sum(1) - own) / (a.Size(1) - 1)).Mean();
        });

    /// <summary>
    /// One unit: channel <paramref name="channel"/> at spatial position (<paramref name="y"/>, <paramref name="x"/>) —
    /// the centre by default — of a convolutional layer, or feature <paramref name="channel"/> of a dense one.
    /// </summary>
    public static Objective Neuron(string layer, int channel, int? y = null, int? x = null, int? batch = null) =>
        new($"neuron({layer}, {channel}{(y is null && x is null ? "" : $" at {y},{x}")}{At(batch)})", t =>
        {
            var c = ChannelOf(t(layer), layer, channel, batch);
            if (c.Rank == 1) return c.Mean();
            int h = c.Size(1), w = c.Size(2), yy = y ?? h / 2, xx = x ?? w / 2;
            if ((uint)yy >= (uint)h || (uint)xx >= (uint)w)
                throw new ArgumentException($"objective neuron: position ({yy}, {xx}) is outside {layer}'s {h}x{w} map");
            return c.Select(2, xx).Select(1, yy).Mean();
        });

    /// <summary>Mean of the whole layer (over the batch or image <paramref name="batch"/>).</summary>
    public static Objective LayerMean(string layer, int? batch = null) =>
        new($"mean({layer}{At(batch)})", t => Pick(t(layer), layer, batch).Mean());

    /// <summary>
    /// Projection on a direction in channel space: Σ_c a[n, c, y, x]·v[c], averaged over images and positions
    /// (for a dense layer Σ_f a[n, f]·v[f], averaged over images).
    /// </summary>
    public static Objective Direction(string layer, Tensor direction, int? batch = null) =>
        new($"direction({layer}{At(batch)})", t =>
        {
            var a = Pick(t(layer), layer, batch);
            if (direction.Rank != 1 || direction.Size(0) != a.Size(1))
                throw new ArgumentException($"objective direction: {layer} has {a.Size(1)} channels, the direction is {ShapeUtil.Format(direction.ShapeArray)}");
            var v = direction.To(a.DType).To(a.Device);
            if (a.Rank == 4) v = v.Reshape(1, v.Size(0), 1, 1);
            return (a * v).Sum(1).Mean();
        });

    /// <summary>
    /// Lucid's diversity term: −(1/N)·Σ_{i≠j} ⟨Ĝ_i, Ĝ_j⟩ with Ĝ_i image i's channel Gram matrix (C×C over positions)
    /// scaled to unit Frobenius norm. Maximising it pushes the batch's images apart in style; identical images give the
    /// lowest value (−(N−1) when the Gram matrices are non-negative, as after a ReLU).
    /// </summary>
    public static Objective Diversity(string layer) =>
        new($"diversity({layer})", t =>
        {
            var a = t(layer);
            if (a.Rank is not (2 or 4)) throw new ArgumentException($"objective diversity: {layer} must be [N, C, H, W] or [N, F], got {ShapeUtil.Format(a.ShapeArray)}");
            int n = a.Size(0), c = a.Size(1);
            if (n < 2) throw new ArgumentException($"objective diversity: needs a batch of at least 2 images, {layer} has {n}");
            var flat = a.Reshape(n, c, -1);
            var gram = flat.MatMul(flat.MT).Reshape(n, c * c);
            var unit = gram / (gram.Square().Sum(1, keepDim: true) + 1e-20).Sqrt();
            var sim = unit.MatMul(unit.MT);
            return -(sim.Sum() - sim.Diagonal().Sum()) / n;
        });

    /// <summary>Lucid's L2: √(ε + Σ (x − constant)²) over the layer (by default the input image).</summary>
    public static Objective L2(string layer = "input", double constant = 0, double epsilon = 1e-6) =>
        new($"l2({layer})", t => ((t(layer) - constant).Square().Sum() + epsilon).Sqrt());

    /// <summary>
    /// Total variation (as tf.image.total_variation, summed over the batch): Σ |x[.., i+1, j] − x[.., i, j]| +
    /// Σ |x[.., i, j+1] − x[.., i, j]| over the last two dims of the layer (by default the input image).
    /// </summary>
    public static Objective TotalVariation(string layer = "input") =>
        new($"tv({layer})", t =>
        {
            var x = t(layer);
            if (x.Rank < 2) throw new ArgumentException($"objective total variation: {layer} needs at least 2 dims, got {ShapeUtil.Format(x.ShapeArray)}");
            var dy = x.Slice(-2, 1, null) - x.Slice(-2, 0, -1);
            var dx = x.Slice(-1, 1, null) - x.Slice(-1, 0, -1);
            return dy.Abs().Sum() + dx.Abs().Sum();
        });

    /// <summary>The sum of several objectives (e.g. one channel per image of the batch).</summary>
    public static Objective Sum(IEnumerable<Objective> objectives)
    {
        var list = objectives.ToArray();
        if (list.Length == 0) throw new ArgumentException("objective sum: no objectives given");
        return new(string.Join(" + ", list.Select(o => o.Description)), t =>
        {
            var total = list[0].Evaluate(t);
            for (int i = 1; i < list.Length; i++) total += list[i].Evaluate(t);
            return total;
        });
    }

    public static Objective operator +(Objective a, Objective b) => new($"{a} + {b}", t => a.Evaluate(t) + b.Evaluate(t));
    public static Objective operator -(Objective a, Objective b) => new($"{a} - {Group(b)}", t => a.Evaluate(t) - b.Evaluate(t));
    public static Objective operator -(Objective a) => new($"-{Group(a)}", t => -a.Evaluate(t));
    public static Objective operator *(double k, Objective a) => new($"{k}·{Group(a)}", t => k * a.Evaluate(t));
    public static Objective operator *(Objective a, double k) => k * a;
    public static Objective operator /(Objective a, double k) => (1 / k) * a;

    static string Group(Objective o) => o.Description.Contains(" + ") || o.Description.Contains(" - ") ? $"({o})" : o.Description;

    static string At(int? batch) => batch is int b ? $", image {b}" : "";

    /// <summary>The activation, or only image <paramref name="batch"/> of it (keeping the batch dim).</summary>
    static Tensor Pick(Tensor a, string layer, int? batch)
    {
        if (a.Rank is not (2 or 4))
            throw new ArgumentException($"objective: {layer} must be [N, C, H, W] or [N, F], got {ShapeUtil.Format(a.ShapeArray)}");
        if (batch is not int b) return a;
        if ((uint)b >= (uint)a.Size(0))
            throw new ArgumentException($"objective: image {b} is outside {layer}'s batch of {a.Size(0)}");
        return a.Narrow(0, b, 1);
    }

    /// <summary>[N', H, W] (or [N']) values of one channel.</summary>
    static Tensor ChannelOf(Tensor a, string layer, int channel, int? batch)
    {
        a = Pick(a, layer, batch);
        if ((uint)channel >= (uint)a.Size(1))
            throw new ArgumentException($"objective: channel {channel} is outside {layer}'s {a.Size(1)} channels ({ShapeUtil.Format(a.ShapeArray)})");
        return a.Select(1, channel);
    }
}
