print("mrcnn")
