def export_template(scenario):
    raise NotImplementedError


def export_file(scenario, path):
    raise NotImplementedError
