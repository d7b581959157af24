using Interp.Analysis.Neurons;
using Interp.Data;
using Interp.Models;

namespace Interp.Analysis.FeatureViz;

/// <summary>
/// The units of a CNN layer that are zero after their ReLU on every image of a dataset: nothing in the data drives
/// them, so a visualization of one shows only what the optimiser made up. Logits have no ReLU and are never dead.
/// </summary>
public static class DeadUnits
{
    static readonly Dictionary<string, string> AfterRelu = new()
    {
        ["conv1"] = "hook_relu1", ["hook_conv1"] = "hook_relu1", ["hook_relu1"] = "hook_relu1",
        ["conv2"] = "hook_relu2", ["hook_conv2"] = "hook_relu2", ["hook_relu2"] = "hook_relu2",
        ["fc1"] = "hook_relu3", ["hook_fc1"] = "hook_relu3", ["hook_relu3"] = "hook_relu3",
    };

    public static int[] Of(Cnn cnn, string layer, ImageDataset data)
    {
        if (!AfterRelu.TryGetValue(layer, out var hook)) return [];
        var values = new ModelOnDataset(HookedClassifier.Of(cnn), data).UnitValues(hook);
        return NeuronCensus.Take(hook, values).Of(UnitKind.Dead);
    }
}
