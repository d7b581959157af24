using System.Diagnostics;
using Interp.Autograd;
using Interp.Optim;
using Interp.Training;

namespace Interp.Analysis.Sae;

/// <param name="Steps">optimizer steps (one minibatch each)</param>
/// <param name="DecoderBiasInit">"geometric_median", "mean" or "zeros" (SAELens's b_dec_init_method), from <paramref name="InitRows"/> rows</param>
/// <param name="ResampleEvery">every this many steps, features that did not fire since the last check are resampled (0: never); no resampling in the last ResampleEvery/2 steps</param>
/// <param name="ResampleRows">rows whose reconstruction loss chooses the new directions</param>
public sealed record SaeTrainingOptions(
    int Steps = 2000, double LearningRate = 3e-4, double Beta1 = 0.9, double Beta2 = 0.999,
    string DecoderBiasInit = "geometric_median", int InitRows = 4096, int ResampleEvery = 0, int ResampleRows = 8192)
{
    public void Validate()
    {
        if (Steps <= 0) throw new ArgumentException($"sae training: steps must be positive, got {Steps}");
        if (!(LearningRate > 0)) throw new ArgumentException($"sae training: learning rate must be positive, got {LearningRate}");
        if (DecoderBiasInit is not ("geometric_median" or "mean" or "zeros"))
            throw new ArgumentException($"sae training: decoder bias init must be geometric_median, mean or zeros, got '{DecoderBiasInit}'");
        if (InitRows <= 0 || ResampleRows <= 0 || ResampleEvery < 0)
            throw new ArgumentException($"sae training: init rows ({InitRows}) and resample rows ({ResampleRows}) must be positive, resample every ({ResampleEvery}) >= 0");
    }
}

/// <summary>What a training run did: the loss every step, how many features each resampling revived, the wall time.</summary>
public sealed record SaeTrainingResult(IReadOnlyList<double> Losses, IReadOnlyList<(int Step, int Resampled)> Resamplings, TimeSpan Wall);

/// <summary>
/// Trains a <see cref="SparseAutoencoder"/> as SAELens does: b_dec initialised from data, Adam on the SAE loss, the
/// decoder gradient's component along each row removed before the step and the rows renormalised to unit norm after
/// it; optionally resamples dead features as in Anthropic's "Towards Monosemanticity" (see <see cref="DeadFeatureResampler"/>).
/// </summary>
public sealed class SaeTrainer
{
    readonly SparseAutoencoder sae;
    readonly Func<Tensor> nextBatch;
    readonly Func<int, Tensor> sampleRows;
    readonly Generator gen;
    int stepsTaken;

    /// <param name="nextBatch">the next training minibatch [batch, d_in] (e.g. ActivationStore.NextBatch)</param>
    /// <param name="sampleRows">n fresh rows [n, d_in] for the b_dec initialisation and for resampling (e.g. ActivationStore.Collect)</param>
    public SaeTrainer(SparseAutoencoder sae, Func<Tensor> nextBatch, Func<int, Tensor> sampleRows, SaeTrainingOptions options, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(nextBatch);
        ArgumentNullException.ThrowIfNull(sampleRows);
        options.Validate();
        (this.sae, this.nextBatch, this.sampleRows, Options) = (sae, nextBatch, sampleRows, options);
        gen = new Generator(seed);
        Optimizer = new Adam(sae.Parameters(), options.LearningRate, (options.Beta1, options.Beta2));
    }

    public SaeTrainingOptions Options { get; }
    public Adam Optimizer { get; }

    /// <summary>Sets b_dec from data (per the options), then runs the steps, reporting progress after each.</summary>
    public SaeTrainingResult Run(Action<StepReport>? report = null, Action<string>? note = null)
    {
        var clock = Stopwatch.StartNew();
        InitializeDecoderBias(note);
        var losses = new List<double>(Options.Steps);
        var resamplings = new List<(int, int)>();
        var resampler = new DeadFeatureResampler(sae, Optimizer, gen);
        Tensor fired = Tensor.Zeros([sae.DSae], sae.Config.DType, sae.Device);
        long seen = 0;
        for (int step = 1; step <= Options.Steps; step++)
        {
            var x = nextBatch();
            var (loss, features) = Step(x);
            losses.Add(loss);
            seen += x.Size(0);
            using (GradMode.NoGrad()) fired = fired + features.Gt(0).To(fired.DType).Sum(0);
            if (Options.ResampleEvery > 0 && step % Options.ResampleEvery == 0 && step <= Options.Steps - Options.ResampleEvery / 2)
            {
                int n = resampler.Resample(fired.Eq(0), sampleRows(Options.ResampleRows));
                resamplings.Add((step, n));
                note?.Invoke($"step {step}: resampled {n} dead features of {sae.DSae}");
                fired = Tensor.Zeros([sae.DSae], sae.Config.DType, sae.Device);
            }
            report?.Invoke(new StepReport(step, Options.Steps, 1, 1, loss, seen, step, clock.Elapsed));
        }
        return new SaeTrainingResult(losses, resamplings, clock.Elapsed);
    }

    /// <summary>
    /// One optimizer step on x [batch, d_in]; returns the loss and the (detached) feature activations. A NaN or
    /// infinite loss stops before the update, a NaN or infinite parameter after it (<see cref="Divergence"/>).
    /// </summary>
    public (double Loss, Tensor Features) Step(Tensor x)
    {
        int step = ++stepsTaken;
        return Divergence.AtStep("sae", step, () =>
        {
            sae.Train();
            var loss = sae.Loss(x.To(sae.Config.DType).To(sae.Device));
            double value = Divergence.CheckLoss("sae", step, loss.Total.Item());
            Optimizer.ZeroGrad();
            loss.Total.Backward();
            sae.RemoveGradientParallelToDecoderDirections();
            Optimizer.Step();
            sae.NormalizeDecoderRows();
            Divergence.CheckParameters("sae", step, sae.NamedParameters());
            return (value, loss.Features.Detach());
        });
    }

    void InitializeDecoderBias(Action<string>? note)
    {
        if (Options.DecoderBiasInit == "zeros") return;
        var rows = sampleRows(Options.InitRows).To(sae.Config.DType).To(sae.Device);
        if (Options.DecoderBiasInit == "mean")
        {
            sae.InitializeDecoderBias(rows.Mean(0));
            return;
        }
        var (median, iterations, _) = GeometricMedian.Compute(rows);
        note?.Invoke($"b_dec: geometric median of {rows.Size(0)} rows after {iterations} Weiszfeld iterations");
        sae.InitializeDecoderBias(median);
    }
}
