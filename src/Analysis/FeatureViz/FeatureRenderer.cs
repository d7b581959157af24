using System.Diagnostics;
using Interp.Autograd;
using Interp.Models;
using Interp.Optim;
using Interp.Training;

namespace Interp.Analysis.FeatureViz;

/// <summary>How to optimise: Adam's step count and rate (Lucid's defaults: 512 steps, 0.05), transforms and seed.</summary>
public sealed record RenderOptions
{
    public int Steps { get; init; } = 512;
    public double LearningRate { get; init; } = 0.05;
    /// <summary>Applied in order to the image before every forward pass; none by default.</summary>
    public IReadOnlyList<IImageTransform> Transforms { get; init; } = [];
    /// <summary>Seed of the transforms' random draws.</summary>
    public ulong Seed { get; init; }
    /// <summary>Called after every step with the objective as a negative "loss".</summary>
    public Action<StepReport>? Progress { get; init; }
}

/// <summary>
/// The optimised images [N, C, H, W] (detached), the objective at every step (on the transformed images the step saw)
/// and before and after optimisation on the plain images.
/// </summary>
public sealed record RenderResult(Tensor Images, IReadOnlyList<double> History, double InitialObjective, double FinalObjective, TimeSpan Elapsed);

/// <summary>
/// Feature visualization by optimisation (Olah et al. 2017, Lucid's render_vis): gradient ascent with Adam on an
/// image parameterization to maximise an <see cref="Objective"/> of a model's activations, through random
/// transforms. Models are given as a function from images to their <see cref="Activations"/>.
/// </summary>
public static class FeatureRenderer
{
    /// <summary>
    /// Maximises <paramref name="objective"/> over the images of <paramref name="param"/>. The model's own parameters
    /// should not require grad (the <see cref="Cnn"/> overload sees to it), or their gradients pile up. A NaN or
    /// infinite objective or image parameter stops it (<see cref="Divergence"/>), naming the step.
    /// </summary>
    public static RenderResult Render(Func<Tensor, Activations> model, Objective objective, IImageParam param, RenderOptions? options = null)
    {
        options ??= new RenderOptions();
        if (options.Steps < 0) throw new ArgumentException($"feature viz: steps must be ≥ 0, got {options.Steps}");
        var clock = Stopwatch.StartNew();
        var gen = new Generator(options.Seed);
        var adam = new Adam(param.Parameters, options.LearningRate);
        double initial = Value(model, objective, param);
        var history = new List<double>(options.Steps);
        using (GradMode.EnableGrad())
            for (int step = 1; step <= options.Steps; step++)
            {
                int count = Divergence.AtStep("feature viz", step, () =>
                {
                    var images = Transforms.ApplyAll(options.Transforms, param.Image(), gen);
                    var value = objective.Evaluate(model(images));
                    history.Add(Divergence.CheckLoss("feature viz", step, value.Item()));
                    adam.ZeroGrad();
                    (-value).Backward();
                    adam.Step();
                    Divergence.CheckParameters("feature viz", step, param.Parameters.Select((p, i) => ($"image parameter {i}", p)));
                    return images.Size(0);
                });
                options.Progress?.Invoke(new StepReport(step, options.Steps, 1, 1, -history[^1], (long)step * count, step, clock.Elapsed));
            }
        double final = Value(model, objective, param);
        using (GradMode.NoGrad()) return new RenderResult(param.Image().Detach(), history, initial, final, clock.Elapsed);
    }

    /// <summary>Render on a CNN (its hook names, or conv1/conv2/fc1/logits, name the layers), its weights frozen meanwhile.</summary>
    public static RenderResult Render(Cnn cnn, Objective objective, IImageParam param, RenderOptions? options = null)
    {
        var frozen = cnn.Parameters().Where(p => p.RequiresGrad).ToList();
        bool training = cnn.Training;
        cnn.Eval();
        foreach (var p in frozen) p.RequiresGrad = false;
        try { return Render(CnnActivations.Of(cnn), objective, param, options); }
        finally
        {
            foreach (var p in frozen) p.RequiresGrad = true;
            cnn.Train(training);
        }
    }

    /// <summary>The objective on the current (untransformed) images, without a graph.</summary>
    public static double Value(Func<Tensor, Activations> model, Objective objective, IImageParam param)
    {
        using var _ = GradMode.NoGrad();
        return objective.Evaluate(model(param.Image())).Item();
    }
}

/// <summary>A <see cref="Cnn"/>'s activations by name for feature visualization.</summary>
public static class CnnActivations
{
    /// <summary>Short layer names and the hook points they read (pre-ReLU, as Lucid's <c>_pre_relu</c> layers).</summary>
    public static readonly IReadOnlyDictionary<string, string> Layers = new Dictionary<string, string>
    {
        ["conv1"] = "hook_conv1", ["conv2"] = "hook_conv2", ["fc1"] = "hook_fc1", ["logits"] = "hook_logits",
    };

    /// <summary>
    /// Images → activations: <c>"input"</c> is the images, a hook name (<c>hook_relu2</c>, ...) or a short name
    /// (<see cref="Layers"/>) one of the cached activations.
    /// </summary>
    public static Func<Tensor, Activations> Of(Cnn cnn) => images =>
    {
        var (_, cache) = cnn.RunWithCache(images);
        return name =>
        {
            if (name == "input") return images;
            var hook = Layers.GetValueOrDefault(name, name);
            return cache.TryGetValue(hook, out var a) ? a
                : throw new ArgumentException($"cnn activations: no layer '{name}' (use input, {string.Join(", ", Layers.Keys)} or a hook name: {string.Join(", ", cnn.HookNames)})");
        };
    };
}
