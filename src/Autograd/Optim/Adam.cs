namespace Interp.Optim;

/// <summary>torch.optim.Adam: bias-corrected first and second moments; weight decay is L2 (added to the gradient).</summary>
public class Adam : Optimizer
{
    public (double Beta1, double Beta2) Betas { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    readonly bool decoupled;

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, decoupled: false, "adam") { }

    protected Adam(IEnumerable<Tensor> parameters, double lr, (double, double) betas, double eps, double weightDecay, bool decoupled, string name)
        : base(parameters, lr, name)
    {
        CheckNonNegative(name, "lr", lr);
        CheckNonNegative(name, "eps", eps);
        CheckNonNegative(name, "weight decay", weightDecay);
        if (!(betas.Item1 >= 0 && betas.Item1 < 1 && betas.Item2 >= 0 && betas.Item2 < 1))
            throw new ArgumentException($"{name}: betas must lie in [0, 1), got ({betas.Item1}, {betas.Item2})");
        (Betas, Eps, WeightDecay, this.decoupled) = (betas, eps, weightDecay, decoupled);
    }

    protected override void Update(Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        var m = StateLike(state, "exp_avg", param);
        var v = StateLike(state, "exp_avg_sq", param);
        int step = NextStep(state);
        param.Backend.AdamUpdate(param, grad, m, v, LearningRate, Betas.Beta1, Betas.Beta2, Eps, WeightDecay, decoupled, step);
    }

    /// <summary>One update over the flat buffers when every parameter is at the same step (one skipped a step: per parameter).</summary>
    internal override bool UpdateAll(FlatParameters flat)
    {
        int step = PeekStep(State[0]);
        if (State.Any(s => PeekStep(s) != step)) return false;
        var m = flat.FlatState("exp_avg", State);
        var v = flat.FlatState("exp_avg_sq", State);
        foreach (var s in State) NextStep(s);
        flat.Params.Backend.AdamUpdate(flat.Params, flat.Grads, m, v, LearningRate, Betas.Beta1, Betas.Beta2, Eps, WeightDecay, decoupled, step);
        return true;
    }
}

/// <summary>torch.optim.AdamW: Adam with decoupled weight decay, p ← p·(1 − lr·wd) before the Adam step.</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0.01)
    : Adam(parameters, lr, betas ?? (0.9, 0.999), eps, weightDecay, decoupled: true, "adamw");
