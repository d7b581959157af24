namespace Interp.Optim;

/// <summary>torch.optim.SGD: momentum (with dampening, optionally Nesterov) and L2 weight decay.</summary>
public sealed class Sgd : Optimizer
{
    public double Momentum { get; }
    public double Dampening { get; }
    public double WeightDecay { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr, "sgd")
    {
        CheckNonNegative("sgd", "lr", lr);
        CheckNonNegative("sgd", "momentum", momentum);
        CheckNonNegative("sgd", "weight decay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"sgd: nesterov momentum requires a momentum > 0 and zero dampening, got momentum {momentum}, dampening {dampening}");
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
    }

    protected override void Update(Tensor param, Tensor grad, Dictionary<string, Tensor> state)
    {
        Tensor? buffer = null;
        bool first = false;
        if (Momentum != 0)
        {
            first = !state.ContainsKey("momentum_buffer");
            buffer = StateLike(state, "momentum_buffer", param);
        }
        param.Backend.SgdUpdate(param, grad, buffer, LearningRate, Momentum, Dampening, WeightDecay, Nesterov, first);
    }

    /// <summary>One update over the flat buffers when every momentum buffer is new, or none is (else per parameter).</summary>
    internal override bool UpdateAll(FlatParameters flat)
    {
        Tensor? buffer = null;
        bool first = false;
        if (Momentum != 0)
        {
            first = !State[0].ContainsKey("momentum_buffer");
            if (State.Any(s => s.ContainsKey("momentum_buffer") == first)) return false;
            buffer = flat.FlatState("momentum_buffer", State);
        }
        flat.Params.Backend.SgdUpdate(flat.Params, flat.Grads, buffer, LearningRate, Momentum, Dampening, WeightDecay, Nesterov, first);
        return true;
    }
}
