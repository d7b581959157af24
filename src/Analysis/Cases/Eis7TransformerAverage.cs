using Interp.Autograd;
using Interp.Transformers;

namespace Interp.Analysis.Cases;

/// <summary>
/// An exponential moving average of a model's weights (Polyak averaging as EMA, e.g. timm's ModelEma or PyTorch's
/// AveragedModel with an EMA rule): after every optimiser step, average ← decay · average + (1 − decay) · weights,
/// starting from the initial weights. <see cref="Model"/> holds the averaged weights, a second model of the same
/// configuration, which the challenge-2 run evaluates, stops on and keeps in place of the trained one.
/// </summary>
public sealed class Eis7TransformerAverage
{
    readonly HookedTransformer trained;
    readonly Dictionary<string, Tensor> average;

    public Eis7TransformerAverage(HookedTransformer trained, double decay)
    {
        if (!(decay > 0 && decay < 1)) throw new ArgumentException($"eis7 transformer: EMA decay must lie in (0, 1), got {decay}");
        (this.trained, Decay) = (trained, decay);
        average = trained.StateDict().ToDictionary(w => w.Key, w => w.Value.Detach().Clone());
        Model = new HookedTransformer(trained.Config);
        Model.LoadStateDict(average);
        Model.Eval();
    }

    public double Decay { get; }

    /// <summary>The averaged weights as a model (updated by <see cref="Update"/>).</summary>
    public HookedTransformer Model { get; }

    /// <summary>One step of the average: average ← decay · average + (1 − decay) · the trained model's weights.</summary>
    public void Update()
    {
        using var _ = GradMode.NoGrad();
        foreach (var (name, weight) in trained.StateDict())
            average[name] = average[name] * Decay + weight.Detach() * (1 - Decay);
        Model.LoadStateDict(average);
    }
}
