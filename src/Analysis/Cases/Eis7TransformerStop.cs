using Interp.Training;

namespace Interp.Analysis.Cases;

/// <summary>
/// When to end a challenge-2 run, from training data only (the test half never decides):
/// <list type="bullet">
/// <item><c>none</c>: run every step (the recipe as published).</item>
/// <item><c>fitted</c>: end at the first evaluation where every training pair is right, or <see cref="Eis7TransformerOptions.Patience"/>
/// steps after it.</item>
/// <item><c>validation</c>: hold out a fixed-seed slice of the train half (<see cref="Eis7TransformerOptions.ValidationFraction"/>),
/// train on the rest, and keep the checkpoint with the lowest validation loss; end once it has not improved for
/// <see cref="Eis7TransformerOptions.Patience"/> steps. The cost: fewer training pairs.</item>
/// </list>
/// Both rules are checked at the evaluations (every <see cref="Eis7TransformerOptions.EvalEvery"/> steps).
/// </summary>
public static class Eis7TransformerStop
{
    public static readonly string[] Rules = ["none", "fitted", "validation"];

    /// <summary>The default patience: none after the fit; 100 steps without a lower validation loss.</summary>
    public static int DefaultPatience(string rule) => rule == "validation" ? 100 : 0;

    /// <summary>The seed of the validation slice, fixed so that every run (any --seed) holds out the same pairs.</summary>
    public const ulong ValidationSeed = 0x7A11DA7E;

    /// <summary>
    /// The train half split into the pairs trained on and the validation slice: round(fraction · n) pairs drawn by a
    /// fixed-seed permutation of the half (at least 1, leaving at least 1 to train on). The training pairs keep the
    /// half's order. Without the validation rule every pair of the half trains.
    /// </summary>
    public static (int[] Fit, int[] Validation) HoldOut(int[] trainHalf, Eis7TransformerOptions o)
    {
        if (o.Stop != "validation") return (trainHalf, []);
        if (trainHalf.Length < 2) throw new ArgumentException($"eis7 transformer: a validation slice needs at least 2 training pairs, got {trainHalf.Length}");
        int n = Math.Clamp((int)Math.Round(o.ValidationFraction * trainHalf.Length), 1, trainHalf.Length - 1);
        var held = new bool[trainHalf.Length];
        foreach (int i in Trainer.Permutation(trainHalf.Length, new Generator(ValidationSeed))[..n]) held[i] = true;
        return (trainHalf.Where((_, i) => !held[i]).ToArray(), trainHalf.Where((_, i) => held[i]).ToArray());
    }

    /// <summary>The step of the first evaluation with every training pair right, or null.</summary>
    public static int? FittedStep(IReadOnlyList<Eis7Eval> curve)
    {
        foreach (var e in curve)
            if (e.TrainAccuracy >= 1) return e.Step;
        return null;
    }

    /// <summary>The index of the evaluation whose model the run keeps: the lowest validation loss (the first of equals) under the validation rule, else the last.</summary>
    public static int KeptIndex(IReadOnlyList<Eis7Eval> curve, Eis7TransformerOptions o)
    {
        if (curve.Count == 0) throw new ArgumentException("eis7 transformer: no evaluation yet");
        if (o.Stop != "validation") return curve.Count - 1;
        int best = 0;
        for (int i = 1; i < curve.Count; i++)
            if (curve[i].ValidationLoss < curve[best].ValidationLoss) best = i;
        return best;
    }

    /// <summary>Whether the run ends after the last evaluation of <paramref name="curve"/> (before its step budget).</summary>
    public static bool ShouldStop(IReadOnlyList<Eis7Eval> curve, Eis7TransformerOptions o)
    {
        if (curve.Count == 0 || o.Stop == "none") return false;
        int last = curve[^1].Step, patience = o.Patience ?? DefaultPatience(o.Stop);
        int? from = o.Stop == "fitted" ? FittedStep(curve) : curve[KeptIndex(curve, o)].Step;
        return from is int s && last - s >= patience;
    }

    /// <summary>The rule in words, for the CLI and the report.</summary>
    public static string Describe(Eis7TransformerOptions o) => o.Stop switch
    {
        "fitted" => $"stop once every training pair is right{Further(o)}",
        "validation" => $"hold out {100 * o.ValidationFraction:G3} % of the train half as validation, keep the lowest validation loss " +
                        $"(end after {o.Patience ?? DefaultPatience(o.Stop)} steps without a lower one)",
        _ => "no early stop",
    };

    static string Further(Eis7TransformerOptions o) => (o.Patience ?? 0) == 0 ? "" : $", then {o.Patience} steps more";
}
