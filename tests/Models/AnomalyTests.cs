using Interp.Autograd;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;
using Interp.Transformers;
using Xunit;

namespace Interp.Tests.Models;

/// <summary>
/// Anomaly mode names the first op that made a NaN/Inf, its inputs' shapes, the hook point the forward pass had
/// reached and, in a backward pass, whose backward it was; training stops on a non-finite loss instead of going on.
/// </summary>
public class AnomalyTests
{
    static readonly TransformerConfig Config = new() { NLayers = 2, DModel = 16, NHeads = 2, DHead = 8, DMlp = 32, DVocab = 11, NCtx = 8, Seed = 1 };

    [Fact]
    public void ANaNWeightIsReportedAtItsOpAndHookPoint()
    {
        var model = new HookedTransformer(Config);
        var sd = model.StateDict();
        var wq = sd["blocks.1.attn.W_Q"].ToArray<float>();
        wq[3] = float.NaN;
        sd["blocks.1.attn.W_Q"] = Tensor.FromArray(wq, sd["blocks.1.attn.W_Q"].ShapeArray);
        model.LoadStateDict(sd);
        var tokens = Tensor.FromArray([1, 2, 3, 4], [1, 4]);

        Assert.True(float.IsNaN(model.Forward(tokens).ToArray<float>()[0]));   // off by default: NaN flows on silently
        using var _ = Anomaly.Enable();
        var e = Assert.Throws<NonFiniteException>(() => model.Forward(tokens));
        Assert.Contains("produced NaN", e.Message);
        Assert.Contains("[2, 16, 8]", e.Message);                              // W_Q's shape among the inputs'
        Assert.Contains("after hook point blocks.1.ln1.hook_normalized", e.Message);
    }

    [Fact]
    public void AnInfInABackwardPassNamesTheOpWhoseBackwardMadeIt()
    {
        var x = Tensor.FromArray([0.0, 1.0], requiresGrad: true);
        using var _ = Anomaly.Enable();
        var y = x.Sqrt().Sum();                                                  // finite: sqrt(0) = 0
        var e = Assert.Throws<NonFiniteException>(() => y.Backward());         // d sqrt(x)/dx at 0 = 1/(2·0) = Inf
        Assert.Contains("produced Inf", e.Message);
        Assert.Contains("in the backward of sqrt", e.Message);
    }

    static (Trainer Trainer, Linear Model) NewTrainer(Func<int, double> scaleAtStep, bool detect = false, Func<Tensor, Tensor>? head = null)
    {
        var model = new Linear(3, 1, gen: new Generator(4), dtype: DType.Float64);
        var x = Tensor.Randn([8, 3], gen: new Generator(5), dtype: DType.Float64);
        Trainer? trainer = null;
        trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), 8,
            rows => (head ?? (t => t))(model.Forward(x)).Square().Mean() * scaleAtStep(trainer!.Step),
            new TrainerOptions(Epochs: 10, BatchSize: 8, DetectAnomaly: detect));
        return (trainer, model);
    }

    [Fact]
    public void TrainingStopsOnANaNLossBeforeTheUpdate()
    {
        var (trainer, model) = NewTrainer(step => step == 3 ? double.NaN : 1);
        trainer.Run(maxSteps: 3);
        var before = model.Parameters().SelectMany(p => p.ToDoubleArray()).ToArray();
        var e = Assert.Throws<NonFiniteException>(() => trainer.Run());
        Assert.Contains("loss is NaN at step 4", e.Message);
        Assert.Equal(3, trainer.Step);
        Assert.Equal(before, model.Parameters().SelectMany(p => p.ToDoubleArray()).ToArray());   // no NaN spread into the weights
    }

    [Fact]
    public void AParameterMadeNaNByTheUpdateStopsTrainingThoughTheLossWasFinite()
    {
        // sqrt(0·out) is 0, but its backward is 0/0: the loss is finite, the gradient and so the weights are NaN
        var (trainer, _) = NewTrainer(_ => 1, head: t => (t * 0).Sqrt());
        var e = Assert.Throws<NonFiniteException>(() => trainer.TrainStep());
        Assert.Contains("holds NaN or Inf at step 1, after the update", e.Message);
    }

    [Fact]
    public void WithAnomalyDetectionTheTrainerNamesTheOp()
    {
        // log of a negative output: NaN at the log, long before the loss
        var (trainer, _) = NewTrainer(_ => 1, detect: true, head: t => (t - 1e6).Log());
        var e = Assert.Throws<NonFiniteException>(() => trainer.TrainStep());
        Assert.Contains("anomaly: log produced NaN", e.Message);
        Assert.Contains("[8, 1]", e.Message);
        Assert.False(Anomaly.IsEnabled);                                          // only for the step
    }
}
