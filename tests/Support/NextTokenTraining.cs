using Interp.Transformers;

namespace Interp.Tests;

/// <summary>A few AdamW steps of next-token cross-entropy on fixed tokens: how the loader tests check that two models train alike.</summary>
public static class NextTokenTraining
{
    public static void AdamWSteps(HookedTransformer model, Tensor tokens, int steps = 2, double lr = 1e-2)
    {
        var opt = new Interp.Optim.AdamW(model.Parameters(), lr: lr);
        for (int step = 0; step < steps; step++)
        {
            opt.ZeroGrad();
            var logits = model.Forward(tokens);
            int v = logits.Size(2), n = tokens.Size(1) - 1;
            logits.Narrow(1, 0, n).Reshape(-1, v).CrossEntropy(tokens.Narrow(1, 1, n).Reshape(-1)).Backward();
            opt.Step();
        }
    }
}
