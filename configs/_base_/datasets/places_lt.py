# Places-LT (Liu et al. 2019): the OLTR lists over Places365-Standard, 62,500
# training images in 365 classes (4,980 ... 5 per class), validation 20 and
# test 100 images per class. Same pipelines, loaders and groups as
# ImageNet-LT.
_base_ = './imagenet_lt.py'

dataset_type = 'PlacesLT'
# Holds Places_LT_{train,val,test}.txt, the Places365-Standard images (256 x
# 256) where the lists name them and, for class names,
# categories_places365.txt.
data_root = 'data/places365'

data_preprocessor = dict(num_classes=365)

train_dataloader = dict(
    dataset=dict(dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
