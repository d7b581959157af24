namespace Interp.Optim;

/// <summary>Learning-rate schedules as functions step → factor of the base rate (step counts from 0).</summary>
public static class LrSchedule
{
    /// <summary>Linear warmup from 0 to 1 over <paramref name="warmupSteps"/>, then a cosine from 1 down to minFactor at totalSteps (held after).</summary>
    public static Func<int, double> WarmupCosine(int warmupSteps, int totalSteps, double minFactor = 0)
    {
        Check(warmupSteps, totalSteps, minFactor);
        return step =>
        {
            if (step < warmupSteps) return (step + 1.0) / warmupSteps;
            double progress = Math.Min(1.0, (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps));
            return minFactor + (1 - minFactor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
        };
    }

    /// <summary>Linear warmup from 0 to 1 over <paramref name="warmupSteps"/>, then linear decay to minFactor at totalSteps (held after).</summary>
    public static Func<int, double> WarmupLinear(int warmupSteps, int totalSteps, double minFactor = 0)
    {
        Check(warmupSteps, totalSteps, minFactor);
        return step =>
        {
            if (step < warmupSteps) return (step + 1.0) / warmupSteps;
            double progress = Math.Min(1.0, (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps));
            return 1 - (1 - minFactor) * progress;
        };
    }

    static void Check(int warmupSteps, int totalSteps, double minFactor)
    {
        if (warmupSteps < 0 || totalSteps < warmupSteps)
            throw new ArgumentException($"lr schedule: need 0 ≤ warmup steps ≤ total steps, got warmup {warmupSteps}, total {totalSteps}");
        if (!(minFactor >= 0 && minFactor <= 1))
            throw new ArgumentException($"lr schedule: min factor must lie in [0, 1], got {minFactor}");
    }
}
