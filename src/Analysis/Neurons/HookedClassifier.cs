using Interp.Autograd;
using Interp.Models;
using Interp.Nn;

namespace Interp.Analysis.Neurons;

/// <summary>
/// Hook functions by hook name for one forward pass: a function sees the activation and returns null to observe it,
/// or a tensor of the same shape to replace it.
/// </summary>
public sealed class HookEdits : Dictionary<string, Func<Tensor, Tensor?>>;

/// <summary>
/// Any classifier seen through its hook points, the one thing the neuron and dataset tools need: run a batch of inputs
/// with some hooks observing or replacing activations, get logits [n, classes]. A unit is (hook name, index): a feature
/// of a dense hook, a channel of a convolutional one, a neuron or an attention head of a transformer.
/// <see cref="Of(Cnn)"/>, <see cref="Of(Mlp)"/> and <see cref="TransformerClassifier.Of"/> adapt the project's models
/// (a transformer at one position of its sequences: the logits there are the classes); the constructor adapts
/// anything else from a delegate. <see cref="ReadoutOf"/> gives the direct path from a hook's units to the logits,
/// for direct attribution.
/// </summary>
public sealed class HookedClassifier(
    string name, IReadOnlyList<string> hookNames, Func<Tensor, HookEdits, Tensor> forward, Func<string, DirectPath?>? readout = null)
{
    public string Name { get; } = name;
    public IReadOnlyList<string> HookNames { get; } = hookNames;

    /// <summary>The axis of a hook's activation that indexes its units (1 for [n, units, ...]; 2 for a transformer's [n, pos, units, ...]).</summary>
    public Func<string, int> UnitAxisOf { get; init; } = _ => 1;

    /// <summary>The part of a hook's activation the units are measured on, [n, units, ...]: all of it, or a transformer's metric position.</summary>
    public Func<string, Tensor, Tensor> AtPosition { get; init; } = (_, a) => a;

    /// <summary>One value per unit, [n, units], from <see cref="AtPosition"/>'s part (by default <see cref="ModelOnDataset.PerUnit"/>).</summary>
    public Func<Tensor, Tensor> PerUnit { get; init; } = ModelOnDataset.PerUnit;

    /// <summary>Logits [n, classes] of the inputs, with the given hooks in place (none by default); no graph is recorded.</summary>
    public Tensor Forward(Tensor x, HookEdits? edits = null)
    {
        using var _ = GradMode.NoGrad();
        if (edits is not null) CheckHooks(edits.Keys);
        return forward(x, edits ?? []);
    }

    /// <summary>The activation at <paramref name="hook"/> for the inputs (and the logits).</summary>
    public (Tensor Logits, Tensor Activation) Capture(Tensor x, string hook, HookEdits? edits = null)
    {
        Tensor? seen = null;
        var all = new HookEdits();
        if (edits is not null) foreach (var kv in edits) all[kv.Key] = kv.Value;
        var inner = all.GetValueOrDefault(hook);
        all[hook] = a =>
        {
            var r = inner?.Invoke(a);
            seen = r ?? a;
            return r;
        };
        var logits = Forward(x, all);
        return (logits, seen!);
    }

    /// <summary>The direct path from <paramref name="hook"/>'s units to the logits (a linear layer reading it, say), or null.</summary>
    public DirectPath? ReadoutOf(string hook)
    {
        CheckHooks([hook]);
        return readout?.Invoke(hook);
    }

    public void CheckHooks(IEnumerable<string> hooks)
    {
        foreach (var h in hooks)
            if (!HookNames.Contains(h))
                throw new ArgumentException($"{Name}: no hook '{h}' (hooks: {string.Join(", ", HookNames)})");
    }

    /// <summary>A CNN: its hook points (hook_conv1 ... hook_relu3, hook_logits); fc2 reads hook_relu3.</summary>
    public static HookedClassifier Of(Cnn cnn)
    {
        cnn.Eval();
        return new HookedClassifier("cnn", cnn.HookNames, (x, edits) =>
        {
            var saved = new Dictionary<string, Func<Tensor, Tensor?>>(cnn.Hooks);
            try
            {
                foreach (var kv in edits) cnn.Hooks[kv.Key] = kv.Value;
                return cnn.Forward(x.To(cnn.Conv1.Weight.Device));
            }
            finally
            {
                cnn.Hooks.Clear();
                foreach (var kv in saved) cnn.Hooks[kv.Key] = kv.Value;
            }
        }, hook => hook == "hook_relu3" ? DirectPath.Of(cnn.Fc2, "fc2") : null);
    }

    /// <summary>
    /// An MLP, inputs flattened: hook_fc{i} is hidden layer i before its ReLU, hook_relu{i} after it (i = 1, 2, ...),
    /// hook_logits the output. The last layer reads the last hook_relu.
    /// </summary>
    public static HookedClassifier Of(Mlp mlp)
    {
        mlp.Eval();
        int hidden = mlp.Layers.Count - 1;
        var names = Enumerable.Range(1, hidden).SelectMany(i => new[] { $"hook_fc{i}", $"hook_relu{i}" }).Append("hook_logits").ToList();
        return new HookedClassifier("mlp", names, (x, edits) =>
        {
            Tensor Hook(string name, Tensor a) => edits.TryGetValue(name, out var f) && f(a) is { } r ? r : a;
            x = x.Flatten(1).To(mlp.Layers[0].Weight.Device);
            for (int i = 0; i < hidden; i++)
                x = Hook($"hook_relu{i + 1}", Hook($"hook_fc{i + 1}", mlp.Layers[i].Forward(x)).Relu());
            return Hook("hook_logits", mlp.Layers[hidden].Forward(x));
        }, hook => hidden > 0 && hook == $"hook_relu{hidden}" ? DirectPath.Of(mlp.Layers[hidden], $"layers.{hidden}") : null);
    }
}
