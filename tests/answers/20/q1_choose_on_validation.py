import statistics


def correct_1(results):
    return max(results.items(), key=lambda item: statistics.mean(item[1]))[0]


def correct_2(results):
    means = {setting: sum(accs) / len(accs) for setting, accs in results.items()}
    return sorted(means, key=means.get, reverse=True)[0]


def correct_3(results):
    best, best_mean = None, float("-inf")
    for setting, accs in results.items():
        mean = statistics.fmean(accs)
        if mean > best_mean:
            best, best_mean = setting, mean
    return best


def wrong_1(results):  # the single best seed decides
    return max(results, key=lambda setting: max(results[setting]))


def wrong_2(results):  # judges by the first seed only
    return max(results, key=lambda setting: results[setting][0])


def wrong_3(results):  # returns the best mean accuracy, not the setting
    return max(sum(accs) / len(accs) for accs in results.values())


def correct_4(results):  # NumPy: the key at the argmax of the means
    import numpy as np
    keys = list(results)
    return keys[int(np.argmax([np.mean(results[k]) for k in keys]))]


def wrong_4(results):  # the median seed decides
    return max(results, key=lambda setting: statistics.median(results[setting]))


def wrong_5(results):  # the worst seed decides
    return max(results, key=lambda setting: min(results[setting]))
