using Interp.Data.Tasks;
using Interp.Training;
using Xunit;

namespace Interp.Tests.Models.Training;

public class DocstringToyTests
{
    [Fact]
    public void EveryParamTokenIsTrainedOnTheNameAfterItAndTheLastOnTheAnswer()
    {
        var task = new DocstringTask(seed: 3);
        var prompts = task.PadLeft(task.Prompts(5, parameters: 4, descriptionLength: 2, listed: 2, varyDescriptions: true));
        var (tokens, rows, targets) = DocstringToy.ParamTargets(task, prompts);
        int length = tokens.Size(1), param = task.TokenId(":param");
        var flat = tokens.ToIntArray();
        var t = targets.ToIntArray();
        Assert.Equal(5 * 3, rows.Length);   // two listed names and the final :param per prompt
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.Equal(param, flat[rows[i]]);
            bool last = rows[i] % length == length - 1;
            Assert.Equal(last ? prompts[rows[i] / length].Answer : flat[rows[i] + 1], t[i]);
        }
    }

    [Fact]
    public void A_small_model_learns_to_name_the_next_parameter_well_above_chance()
    {
        // 2 layers, 300 steps: the held-out prompts (4 parameters, 2 listed) have chance 25 % among the def's names
        var options = new DocstringOptions(Steps: 300, NLayers: 2, DModel: 32, NHeads: 2, DHead: 16, BatchSize: 32, LearningRate: 3e-3,
            EvalEvery: 300, EvalBatch: 128);
        var result = DocstringToy.Train(options);
        Assert.Equal(300, result.Final.Step);
        Assert.True(result.Final.ParameterAccuracy > 0.5, $"accuracy among the def's parameters {result.Final.ParameterAccuracy:P1}");
        Assert.True(result.Final.LogitDiff > 1, $"logit difference {result.Final.LogitDiff:F2}");
    }
}
