using Interp.Training;
using Interp.Transformers;

namespace Interp.Tests;

/// <summary>
/// Small trained models shared by the tests of one run (trained once, on first use): the induction model of
/// ToyTrainingTests' small variant (vocabulary 16, L = 8, 2 layers of 2 heads; induction heads form by step ~250).
/// </summary>
public static class TrainedModels
{
    public static readonly InductionOptions SmallInduction = new(Steps: 300, VocabSize: 16, Length: 8, DModel: 32, NHeads: 2, DHead: 16,
        BatchSize: 16, LearningRate: 3e-3, EvalEvery: 300, EvalBatch: 64);

    static readonly Lazy<InductionResult> induction = new(() => ToyModels.TrainInduction(SmallInduction));
    static readonly Lazy<string> inductionDir = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"interp-tests-induction-{Environment.ProcessId}");
        Induction.Save(dir);
        return dir;
    });

    /// <summary>The trained model itself: callers must not change its weights or leave hooks on it.</summary>
    public static HookedTransformer Induction => induction.Value.Model;

    public static InductionResult InductionRun => induction.Value;

    /// <summary>The same model saved with <see cref="HookedTransformer.Save"/> (model.safetensors + config.json).</summary>
    public static string InductionDir => inductionDir.Value;
}
