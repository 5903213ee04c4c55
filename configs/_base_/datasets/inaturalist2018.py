# iNaturalist 2018 (Van Horn et al.): 437,513 training images in 8,142
# species (1,000 ... 2 per class), naturally long-tailed; the validation set
# (3 images per class) is the test set. LongTailDataset keeps every image
# (profile=None) and only takes out a development split when asked.
_base_ = './imagenet_lt.py'

dataset_type = 'INaturalist'
# Holds train2018.json, val2018.json and train_val2018/.
data_root = 'data/inaturalist2018'

data_preprocessor = dict(num_classes=8142)

train_dataloader = dict(
    dataset=dict(
        dataset=dict(type=dataset_type, data_root=data_root, year=2018)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, year=2018, split='val'))
test_dataloader = val_dataloader
